// The heatmap trace, registered with the core.
import Plotly from './core.js';
import trace from 'plotly.js/lib/heatmap';

Plotly.register([trace]);

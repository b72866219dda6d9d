// The image trace, registered with the core.
import Plotly from './core.js';
import trace from 'plotly.js/lib/image';

Plotly.register([trace]);

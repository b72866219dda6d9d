// The histogram trace, registered with the core.
import Plotly from './core.js';
import trace from 'plotly.js/lib/histogram';

Plotly.register([trace]);

// The bar trace, registered with the core.
import Plotly from './core.js';
import trace from 'plotly.js/lib/bar';

Plotly.register([trace]);

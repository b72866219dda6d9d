// plotly.js's core (scatter traces, cartesian axes, hover, toolbar) as window.Plotly.
import Plotly from 'plotly.js/lib/core';

window.Plotly = Plotly;
export default Plotly;

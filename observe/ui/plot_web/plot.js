// A plotly chart (a Streamlit custom components v2 component; Python side: ../plot.py).
//
// plotly.js's core and the modules of the figure's other trace types are imported (once a tab:
// one module per URL; the loader every page mounts may have done it already) and the figure
// drawn with Plotly.react, which on a rerun with a changed figure updates the chart in place. A
// click on a point of a `clickable` chart goes to Python as the `click` trigger.

const url = (src) => new URL(src, document.baseURI).href;

// the core with its shared chunks and the trace modules, fetched side by side (a trace module
// registers its trace with the core)
async function plotly(modules) {
  await Promise.all(modules.map((src) => import(url(src))));
  return window.Plotly;
}

export default function ({ data, parentElement, setTriggerValue }) {
  const div = parentElement.querySelector('.observe-plot');
  div.style.minHeight = `${data.height}px`;   // the chart's space, kept before it draws
  div.__observeClick = data.clickable ? setTriggerValue : null;   // the latest run's
  const loaded = plotly(data.modules);
  const figure = JSON.parse(data.figure);
  loaded.then((Plotly) => {
    if (!div.isConnected) return;
    Plotly.react(div, figure.data, figure.layout || {}, data.config).then(() => { div.dataset.drawn = '1'; });
    if (!div.__observeListening) {
      div.__observeListening = true;
      div.on('plotly_click', (ev) => {
        if (!div.__observeClick) return;
        const points = ev.points.map((p) => ({
          curve_number: p.curveNumber, point_index: p.pointIndex, point_number: p.pointNumber, x: p.x, y: p.y,
        }));
        div.__observeClick('click', { points });
      });
    }
  }).catch((error) => {   // the server unreachable mid-load: say so where the chart would be
    div.textContent = data.failed.replace('{reason}', error.message);
  });
  if (!div.__observeResize) {   // a column that changes width (the sidebar opened or closed)
    let width = div.clientWidth;
    div.__observeResize = new ResizeObserver(() => {
      if (div.clientWidth === width || !div.dataset.drawn) return;
      width = div.clientWidth;
      window.Plotly.Plots.resize(div);
    });
    div.__observeResize.observe(div);
  }
  return () => {   // unmounted
    div.__observeResize?.disconnect();
    window.Plotly?.purge(div);
  };
}

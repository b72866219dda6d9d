// A plotly chart (a Streamlit custom components v2 component; Python side: ../plot.py).
//
// plotly.js's core and the modules of the figure's other trace types are imported (once a tab:
// one module per URL; the loader every page mounts may have done it already) and the figure
// drawn with Plotly.react, which on a rerun with a changed figure updates the chart in place
// (one drawing at a time, of the latest figure). A click on a point of a `clickable` chart goes
// to Python as the `click` trigger.

const url = (src) => new URL(src, document.baseURI).href;

// the core with its shared chunks and the trace modules, fetched side by side (a trace module
// registers its trace with the core)
async function plotly(modules) {
  await Promise.all(modules.map((src) => import(url(src))));
  return window.Plotly;
}

// One step at a time on a chart (a drawing, a resize), each after the one before it, failed or not.
function inTurn(div, step) {
  div.__observeDrawing = (div.__observeDrawing || Promise.resolve()).then(step, step);
  return div.__observeDrawing;
}

// The server worked out the margins that hold the labels, so that plotly draws the chart once
// (observe/charts/margins.py), but for a legend above the plot in one row: here, where the plot's
// width is known, the rows it wraps into are added as plotly lays them out (legend/draw.js).
function withLegendRows(layout, legend, width) {
  if (!legend || !layout.margin) return layout;
  const room = width - layout.margin.l - layout.margin.r;
  let rows = 1;
  if (legend.grouped) {   // one after the other, a new row when the next does not fit
    let x = 0;
    for (const w of legend.items) {
      if (x > 0 && x + w > room) { rows += 1; x = 0; }
      x += w;
    }
  } else if (legend.items.reduce((a, b) => a + b, 0) >= room) {   // a grid as wide as the widest
    const perRow = Math.max(1, Math.floor(room / Math.max(...legend.items)));
    rows = Math.ceil(legend.items.length / perRow);
  }
  if (rows === 1) return layout;
  const t = Math.ceil(layout.margin.t + (legend.row * (rows - 1)) / legend.at);
  return { ...layout, margin: { ...layout.margin, t } };
}

// Always the latest figure: a rerun can bring a new figure while the library still loads or the
// previous one is being drawn (seen: a chart that kept the figure of the counselor picked before).
function draw(div, loaded, figure, legend, config) {
  div.__observeFigure = figure;
  const once = async () => {
    const Plotly = await loaded;
    if (!div.isConnected || div.__observeFigure !== figure) return;   // gone, or a newer one is due
    const layout = withLegendRows(figure.layout || {}, legend, div.clientWidth);
    try {
      await Plotly.react(div, figure.data, layout, config);
    } catch (error) {   // a chart left half drawn: start it again
      console.warn('observe: redrawing the chart from scratch', error);
      Plotly.purge(div);
      await Plotly.newPlot(div, figure.data, layout, config);
    }
    div.dataset.drawn = '1';
  };
  return inTurn(div, once);
}

export default function ({ data, parentElement, setTriggerValue }) {
  const div = parentElement.querySelector('.observe-plot');
  div.style.minHeight = `${data.height}px`;   // the chart's space, kept before it draws
  div.__observeClick = data.clickable ? setTriggerValue : null;   // the latest run's
  const loaded = plotly(data.modules);
  draw(div, loaded, JSON.parse(data.figure), data.legend, data.config).then(() => {
    if (div.__observeListening || !div.on) return;
    div.__observeListening = true;
    div.on('plotly_click', (ev) => {
      if (!div.__observeClick) return;
      const points = ev.points.map((p) => ({
        curve_number: p.curveNumber, point_index: p.pointIndex, point_number: p.pointNumber, x: p.x, y: p.y,
      }));
      div.__observeClick('click', { points });
    });
  }).catch((error) => {   // the library unreachable (the server gone mid-load): say so where the chart would be
    div.textContent = data.failed.replace('{reason}', error.message);
  });
  if (!div.__observeResize) {   // a column that changes width (the sidebar opened or closed)
    let width = div.clientWidth;
    div.__observeResize = new ResizeObserver(() => {
      if (div.clientWidth === width || !div.dataset.drawn) return;
      width = div.clientWidth;
      inTurn(div, () => window.Plotly.Plots.resize(div)).catch(() => {});   // in turn with the drawings
    });
    div.__observeResize.observe(div);
  }
  return () => {   // unmounted
    div.__observeResize?.disconnect();
    window.Plotly?.purge(div);
  };
}

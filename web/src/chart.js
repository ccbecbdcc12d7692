// Time-series charts with uPlot (loaded by index.html as the global
// `uPlot`, from uplot's dist/uPlot.iife.min.js embedded in the binary).
//
//   const el = lineChart({series: fromMatrix(data.result, start, end, step)});
//   container.append(el);
//
// A chart element carries data-series and data-points (the number of drawn
// series and of non-null points) so that tests can tell an empty chart
// from one with data.
import {fmtNum, h, seriesName} from './util.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b',
  '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39'];

export const SEVERITY_COLORS = {
  low: '#8ab4f8', medium: '#f9ab00', high: '#e8710a', critical: '#d93025',
};

export function color(i) {
  return PALETTE[i % PALETTE.length];
}

// Prometheus matrix -> {xs, series: [{label, metric, values}]} on the
// query's step grid (start, start+step, ..., end; seconds). Missing and
// non-finite samples become null: uPlot draws them as gaps.
export function fromMatrix(result, start, end, step, labelOf = (m) => seriesName(m)) {
  const n = Math.max(1, Math.floor((end - start) / step + 1e-9) + 1);
  const xs = new Array(n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  const series = (result || []).map((r) => {
    const values = new Array(n).fill(null);
    for (const [t, v] of r.values || []) {
      const i = Math.round((Number(t) - start) / step);
      const x = Number(v);
      if (i >= 0 && i < n && Number.isFinite(x)) values[i] = x;
    }
    return {label: labelOf(r.metric || {}), metric: r.metric || {}, values};
  });
  return {xs, series};
}

// A line chart. opts: {xs, series: [{label, values, color?}], height?,
// yFormat?, yRange?: [min, max], stepped?, sync?: key, legend?: bool,
// fill?: bool, spark?: bool (no axes, legend or cursor)}. Returns the
// chart's element (sized to its container).
export function lineChart(opts) {
  const el = h('div', {class: 'chart', 'data-disposable': true});
  const series = opts.series || [];
  let points = 0;
  for (const s of series) for (const v of s.values) if (v !== null) points++;
  el.dataset.series = String(series.length);
  el.dataset.points = String(points);
  if (typeof uPlot !== 'function') {
    el.append(h('div', {class: 'notice error'}, 'uPlot did not load: charts are unavailable.'));
    return el;
  }
  const yFormat = opts.yFormat || ((v) => fmtNum(v));
  const paths = opts.stepped ? uPlot.paths.stepped({align: 1}) : undefined;
  const uopts = {
    width: 600,
    height: opts.height || 300,
    legend: {show: !opts.spark && (opts.legend !== undefined ? opts.legend : series.length <= 10), live: true},
    cursor: opts.spark ? {show: false} : (opts.sync ? {sync: {key: opts.sync}} : {}),
    scales: {x: {time: true}, y: opts.yRange ? {range: opts.yRange} : {}},
    axes: [
      {show: !opts.spark, stroke: '#555', grid: {stroke: '#eee'}},
      {show: !opts.spark, stroke: '#555', grid: {stroke: '#eee'}, size: 60,
        values: (u, splits) => splits.map((v) => (v === null ? '' : yFormat(v)))},
    ],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color || color(i),
        fill: opts.fill ? `${s.color || color(i)}33` : undefined,
        width: 1.5,
        paths,
        spanGaps: false,
        points: {show: false},
        value: (u, v) => (v === null ? '—' : yFormat(v)),
      })),
    ],
  };
  const data = [opts.xs || [], ...series.map((s) => s.values)];
  // uPlot needs its element in the document to measure; build it on the
  // next frame, then follow the container's width.
  let u = null;
  let ro = null;
  let disposed = false;
  let waits = 0;
  const build = () => {
    if (u !== null || disposed) return;
    if (!el.isConnected) {
      if (++waits < 600) requestAnimationFrame(build);  // ~10 s, then give up
      return;
    }
    uopts.width = Math.max(200, el.clientWidth || 600);
    u = new uPlot(uopts, data, el);
    el._uplot = u;
    ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (u && Math.abs(w - u.width) > 2) u.setSize({width: w, height: uopts.height});
    });
    ro.observe(el);
  };
  el._dispose = () => {
    disposed = true;
    if (ro) ro.disconnect();
    if (u) u.destroy();
    u = null;
  };
  requestAnimationFrame(build);
  return el;
}

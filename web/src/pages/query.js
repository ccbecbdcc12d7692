// Query: a PromQL expression, a time range (range, end) and step. Execute
// runs /api/v1/query_range for the chart and /api/v1/query at the range's
// end for the table. The form's state lives in the URL (?expr=&range=&end=
// &step=), so a query can be linked. A parse error shows where the API says
// it is (line:column) and moves the cursor there.
import {ApiError, instant, prom, range} from '../api.js';
import {fromMatrix, lineChart} from '../chart.js';
import {fmtDuration, fmtTime, h, notice, parseDuration, replace, seriesName, table} from '../util.js';

export const title = 'Query';
export const autoRefresh = false;

const MAX_SERIES_CHART = 100;
const MAX_ROWS = 1000;

// The 1-based byte column of a line -> index into the JS string.
function offsetOf(text, line, col) {
  const lines = text.split('\n');
  let idx = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) idx += lines[i].length + 1;
  const l = lines[Math.min(line, lines.length) - 1] || '';
  const enc = new TextEncoder();
  let bytes = 0;
  let chars = 0;
  for (const ch of l) {
    if (bytes >= col - 1) break;
    bytes += enc.encode(ch).length;
    chars += ch.length;
  }
  return {index: idx + chars, lineText: l, charCol: chars};
}

function errorBox(err, expr) {
  const box = notice('error', h('b', null, err.type || 'error'), ': ', err.message);
  box.id = 'query-error';
  const pos = err instanceof ApiError ? err.position() : null;
  if (pos) {
    const at = offsetOf(expr, pos.line, pos.col);
    box.dataset.line = String(pos.line);
    box.dataset.col = String(pos.col);
    box.append(h('div', {class: 'error-pos'}, `at line ${pos.line}, column ${pos.col}:`),
      h('pre', {class: 'caret'}, at.lineText, '\n', ' '.repeat(at.charCol), '^'));
  }
  return {box, pos: pos ? offsetOf(expr, pos.line, pos.col).index : null};
}

function resultTable(data) {
  const t = data.resultType;
  if (t === 'scalar' || t === 'string') {
    return table(['type', 'value'], [[t, String(data.result[1])]], {id: 'query-table'});
  }
  const rows = data.result.slice(0, MAX_ROWS).map((r) => {
    const value = t === 'vector'
      ? fmtValue(r.value ? r.value[1] : (r.histogram ? 'histogram' : ''))
      : h('div', {class: 'values'}, (r.values || []).map(([ts, v]) =>
        h('div', null, `${fmtValue(v)} @${ts}`)));
    return [h('code', null, seriesName(r.metric)), value];
  });
  const el = table(['series', t === 'matrix' ? 'values' : 'value'], rows, {id: 'query-table'});
  if (data.result.length > MAX_ROWS) {
    return h('div', null, notice('info', `showing ${MAX_ROWS} of ${data.result.length} series`), el);
  }
  return el;
}

function fmtValue(v) {
  return typeof v === 'string' ? v : String(v);
}

export async function render(root, ctx) {
  const p = ctx.params;
  const expr = h('textarea', {id: 'expr', name: 'expr', rows: 3, spellcheck: 'false',
    autocomplete: 'off', placeholder: 'PromQL expression, e.g. sum by (job) (rate(scrape_samples_scraped[5m]))'});
  expr.value = p.get('expr') || '';
  const rangeIn = h('input', {id: 'range', name: 'range', size: 6, value: p.get('range') || '1h',
    title: 'Duration: 5m, 1h, 1d ...'});
  const endIn = h('input', {id: 'end', name: 'end', type: 'datetime-local', step: 1});
  if (p.get('end')) {
    const d = new Date(Number(p.get('end')) * 1000);
    if (!Number.isNaN(d.getTime())) endIn.value = localInput(d);
  }
  const stepIn = h('input', {id: 'step', name: 'step', size: 6, placeholder: 'auto',
    value: p.get('step') || '', title: 'Resolution: 15s, 1m ... (empty: range / 250)'});
  const metricIn = h('input', {id: 'metric', list: 'metric-names', size: 24,
    placeholder: 'insert metric name…', autocomplete: 'off'});
  const datalist = h('datalist', {id: 'metric-names'});
  metricIn.addEventListener('change', () => {
    const name = metricIn.value.trim();
    if (!name) return;
    const s = expr.selectionStart;
    expr.value = expr.value.slice(0, s) + name + expr.value.slice(expr.selectionEnd);
    expr.focus();
    expr.setSelectionRange(s + name.length, s + name.length);
    metricIn.value = '';
  });
  const out = h('div', {id: 'query-output'});
  const form = h('form', {id: 'query-form', class: 'query-form', autocomplete: 'off'},
    expr,
    h('div', {class: 'row'},
      h('label', null, 'Range ', rangeIn),
      h('label', null, 'End ', endIn, h('button', {type: 'button', class: 'link',
        onclick: () => { endIn.value = ''; }}, 'now')),
      h('label', null, 'Step ', stepIn),
      metricIn, datalist,
      h('button', {type: 'submit', id: 'execute', class: 'primary'}, 'Execute')));
  replace(root, h('h1', null, 'Query'), form, out);

  expr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {  // Shift+Enter: a new line
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const run = async () => {
    const text = expr.value.trim();
    if (!text) {
      replace(out, notice('info', 'Enter an expression.'));
      return;
    }
    const rangeS = parseDuration(rangeIn.value);
    if (!(rangeS > 0)) {
      replace(out, notice('error', `range "${rangeIn.value}" is not a duration (5m, 1h, 1d …)`));
      return;
    }
    let stepS = stepIn.value.trim() ? parseDuration(stepIn.value) : Math.max(1, Math.floor(rangeS / 250));
    if (!(stepS > 0)) {
      replace(out, notice('error', `step "${stepIn.value}" is not a duration (15s, 1m …)`));
      return;
    }
    const end = endIn.value ? Math.floor(new Date(endIn.value).getTime() / 1000) : Math.floor(Date.now() / 1000);
    const start = end - rangeS;
    const params = new URLSearchParams({expr: text, range: rangeIn.value.trim()});
    if (endIn.value) params.set('end', String(end));
    if (stepIn.value.trim()) params.set('step', stepIn.value.trim());
    const url = `/query?${params}`;
    if (location.pathname + location.search !== url) history.pushState(null, '', url);
    replace(out, h('div', {class: 'loading'}, 'running…'));
    const t0 = performance.now();
    const [rr, ir] = await Promise.allSettled([range(text, start, end, stepS), instant(text, end)]);
    const ms = Math.round(performance.now() - t0);
    const parts = [];
    const err = rr.status === 'rejected' ? rr.reason : (ir.status === 'rejected' ? ir.reason : null);
    // A parse error fails both; show it once. An instant-only expression
    // (a range vector) fails only the range query: show the table anyway.
    if (err && (ir.status === 'rejected' || err.type !== 'bad_data')) {
      const {box, pos} = errorBox(err, text);
      parts.push(box);
      if (pos !== null) {
        expr.focus();
        expr.setSelectionRange(pos, Math.min(pos + 1, expr.value.length));
      }
    } else if (rr.status === 'rejected') {
      parts.push(notice('info', h('span', {id: 'chart-unavailable'}, `No chart: ${rr.reason.message}`)));
    }
    if (rr.status === 'fulfilled') {
      const {xs, series} = fromMatrix(rr.value.result, start, end, stepS);
      const shown = series.slice(0, MAX_SERIES_CHART);
      parts.push(h('div', {class: 'stats', id: 'query-stats'},
        `${series.length} series · ${fmtDuration(rangeS)} ending ${fmtTime(end * 1000)} · ` +
        `step ${fmtDuration(stepS)} · ${ms} ms`));
      if (series.length > MAX_SERIES_CHART) {
        parts.push(notice('info', `chart shows the first ${MAX_SERIES_CHART} of ${series.length} series`));
      }
      const chart = shown.length
        ? lineChart({xs, series: shown, height: 320})
        : notice('info', 'The range query returned no data.');
      chart.id = 'query-chart';
      parts.push(chart);
    }
    if (ir.status === 'fulfilled') {
      parts.push(h('h2', null, `Result at ${fmtTime(end * 1000)} (${ir.value.resultType}, ` +
        `${Array.isArray(ir.value.result) && ir.value.resultType !== 'scalar' && ir.value.resultType !== 'string'
          ? `${ir.value.result.length} series` : '1 value'})`));
      parts.push(resultTable(ir.value));
    }
    replace(out, parts);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  window.addEventListener('popstate', () => location.reload());

  // Metric names for the picker, with their type and help where the
  // targets' metadata has them.
  Promise.all([prom('label/__name__/values'), prom('metadata').catch(() => ({}))]).then(([names, meta]) => {
    replace(datalist, names.map((n) => {
      const m = meta && Array.isArray(meta[n]) ? meta[n][0] : null;
      return h('option', {value: n}, m ? `${m.type}: ${m.help}` : '');
    }));
  }).catch(() => {});

  if (expr.value.trim()) await run();
  else replace(out, notice('info', 'Enter an expression and press Execute (or Enter).'));
  expr.focus();
  return {};
}

function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T` +
         `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// Small DOM and formatting helpers shared by the pages. No framework: pages
// build elements with h() and replace their content wholesale on refresh.

// h('div', {class: 'card', onclick: fn}, child, 'text', [more, children])
// Attributes named on* become event listeners; `class` and `for` are set as
// attributes; boolean true sets an empty attribute, false/null/undefined
// skips it. Children may be nodes, strings, numbers, arrays or null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && 'value' in el) {
      el.value = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// Replaces the children of `el`, disposing of what they held (charts mark
// themselves data-disposable and keep a _dispose function).
export function replace(el, ...children) {
  for (const d of el.querySelectorAll('[data-disposable]')) {
    if (typeof d._dispose === 'function') d._dispose();
  }
  el.replaceChildren();
  append(el, children);
  return el;
}

// A table from column headers and rows of cells (nodes or strings).
export function table(headers, rows, attrs = {}) {
  return h('table', {class: 'data', ...attrs},
    h('thead', null, h('tr', null, headers.map((c) => h('th', null, c)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', {colspan: headers.length, class: 'empty'}, 'none'))
      : rows.map((r) => h('tr', r.attrs || null, (r.cells || r).map((c) => h('td', null, c))))));
}

// A label set as chips: {a: "1"} -> a="1". `skip` names labels not shown.
export function labelChips(labels, skip = []) {
  const names = Object.keys(labels || {}).filter((n) => !skip.includes(n)).sort();
  return h('span', {class: 'labels'},
    names.map((n) => h('span', {class: 'label'}, h('b', null, n), '=', labels[n])));
}

// {__name__="x", a="1"} as PromQL writes it: x{a="1"}.
export function seriesName(metric) {
  const m = metric || {};
  const inner = Object.keys(m).filter((n) => n !== '__name__').sort()
    .map((n) => `${n}=${JSON.stringify(m[n])}`).join(', ');
  return (m.__name__ || '') + (inner || !m.__name__ ? `{${inner}}` : '');
}

export function labelKey(labels) {
  return Object.keys(labels || {}).sort().map((n) => `${n}\u0000${labels[n]}`).join('\u0001');
}

// Numbers as a person reads them: 3 significant digits, SI suffixes for big
// ones, NaN and infinities as Prometheus spells them.
export function fmtNum(v, digits = 3) {
  const x = typeof v === 'string' ? Number(v) : v;
  if (x === null || x === undefined) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) {
    if (a >= 1e6) {
      const units = [['T', 1e12], ['G', 1e9], ['M', 1e6]];
      for (const [s, f] of units) if (a >= f) return `${trim(x / f, digits)}${s}`;
    }
    return x.toExponential(digits - 1);
  }
  return trim(x, digits);
}

function trim(x, digits) {
  return String(Number(x.toPrecision(digits)));
}

export function fmtPercent(ratio, digits = 3) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${fmtNum(ratio * 100, digits)}%`;
}

export function fmtSeconds(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return '—';
  const a = Math.abs(s);
  if (a === 0) return '0s';
  if (a < 1e-3) return `${fmtNum(s * 1e6)}µs`;
  if (a < 1) return `${fmtNum(s * 1e3)}ms`;
  if (a < 120) return `${fmtNum(s)}s`;
  return fmtDuration(s);
}

// 93784 -> "1d2h3m4s" (Prometheus' duration spelling), whole seconds.
export function fmtDuration(seconds) {
  let s = Math.round(Math.abs(seconds));
  if (s === 0) return '0s';
  const parts = [];
  for (const [u, n] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  return (seconds < 0 ? '-' : '') + parts.join('');
}

// "5m", "1h30m", "90s", "2d", "1w" or plain seconds -> seconds; NaN if bad.
export function parseDuration(text) {
  const t = String(text || '').trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+)(ms|y|w|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  let m;
  while ((m = re.exec(t)) !== null) {
    if (m.index !== consumed) return NaN;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += n * {ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000}[m[2]];
  }
  return consumed === t.length && consumed > 0 ? total : NaN;
}

// A timestamp (Date, ms, or RFC 3339 string) as local "YYYY-MM-DD HH:MM:SS".
export function fmtTime(t) {
  if (t === null || t === undefined || t === '') return '—';
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1971) return '—';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
         `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// "12s ago", "in 1h58m".
export function fmtAgo(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1971) return 'never';
  const s = (Date.now() - d.getTime()) / 1000;
  if (Math.abs(s) < 1) return 'just now';
  return s >= 0 ? `${fmtDuration(s)} ago` : `in ${fmtDuration(-s)}`;
}

// A coloured state word: firing, pending, inactive, ok, err, up, down...
export function badge(state, text) {
  return h('span', {class: `badge state-${String(state).toLowerCase()}`}, text || state);
}

// A message box in place of content.
export function notice(kind, ...children) {
  return h('div', {class: `notice ${kind}`}, ...children);
}

// The first value of an instant vector (or null), as a number.
export function firstValue(data) {
  if (!data || !Array.isArray(data.result) || data.result.length === 0) return null;
  return Number(data.result[0].value[1]);
}

// A link to the Query page for `expr` over `rangeText` ("1h").
export function queryLink(expr, rangeText = '1h') {
  return `/query?${new URLSearchParams({expr, range: rangeText})}`;
}

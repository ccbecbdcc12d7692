// Log-pattern hits: the log_patterns: rules of the configuration
// (daemon/log_patterns.cc) as their metrics show them, self-scraped into
// vigil's own storage --
//   vigil_log_pattern_matches_total{pattern, severity}  lines matched
//   vigil_log_pattern_window_matches{pattern}           matches inside the window
//   vigil_log_pattern_firing{pattern}                   1 while the threshold is reached
//   vigil_log_tail_{lines,truncated_lines,rotations}_total  the file tailer
// -- and the alerts they raise (alertname = the pattern's name, annotations
// summary, last_line and source) from the embedded alert manager.
import {am, instant, range} from '../api.js';
import {fromMatrix, lineChart} from '../chart.js';
import {badge, fmtAgo, fmtNum, h, labelChips, notice, parseDuration, replace, table} from '../util.js';

export const title = 'Log patterns';
export const autoRefresh = true;

const RANGES = ['15m', '1h', '6h', '1d', '1w'];

function byPattern(data) {
  const m = new Map();
  for (const s of data.result) {
    const p = s.metric.pattern;
    if (p === undefined) continue;
    const prev = m.get(p);
    m.set(p, {value: (prev ? prev.value : 0) + Number(s.value[1]), metric: s.metric});
  }
  return m;
}

export async function render(root, ctx) {
  const rangeSel = h('select', {id: 'logs-range'}, RANGES.map((r) => h('option', {value: r}, `last ${r}`)));
  rangeSel.value = RANGES.includes(ctx.params.get('range')) ? ctx.params.get('range') : '1h';
  const chart = h('section', {class: 'card', id: 'logs-chart'});
  const patterns = h('section', {class: 'card', id: 'logs-patterns'});
  const tail = h('section', {class: 'card', id: 'logs-tailer'});
  replace(root, h('h1', null, 'Log-pattern hits'), h('div', {class: 'row'}, rangeSel), chart, patterns, tail);

  const reload = async () => {
    const r = parseDuration(rangeSel.value);
    const end = Math.floor(Date.now() / 1000);
    const start = end - r;
    const step = Math.max(1, Math.floor(r / 240));
    const w = Math.max(60, 2 * step);
    const [hits, total, inWindow, firing, alerts, tailer] = await Promise.allSettled([
      range(`60 * sum by (pattern) (rate(vigil_log_pattern_matches_total[${w}s]))`, start, end, step),
      instant('vigil_log_pattern_matches_total', end),
      instant('vigil_log_pattern_window_matches', end),
      instant('vigil_log_pattern_firing', end),
      am('alerts'),
      instant('{__name__=~"vigil_log_tail_(lines|truncated_lines|rotations)_total"}', end),
    ]);

    if (hits.status === 'fulfilled') {
      const {xs, series} = fromMatrix(hits.value.result, start, end, step, (m) => m.pattern || '?');
      replace(chart, h('h2', null, 'Matches per minute, by pattern'),
        series.length ? lineChart({xs, series, height: 220})
          : notice('info', 'No log-pattern metrics in this range.'));
    } else {
      replace(chart, h('h2', null, 'Matches per minute'), notice('error', hits.reason.message));
    }

    if (total.status === 'rejected') {
      replace(patterns, h('h2', null, 'Patterns'), notice('error', total.reason.message));
    } else {
      const t = byPattern(total.value);
      const win = inWindow.status === 'fulfilled' ? byPattern(inWindow.value) : new Map();
      const fir = firing.status === 'fulfilled' ? byPattern(firing.value) : new Map();
      const amAlerts = alerts.status === 'fulfilled' && alerts.value ? alerts.value : [];
      const names = [...t.keys()].sort();
      replace(patterns, h('h2', null, `Patterns: ${names.length}`),
        names.length === 0
          ? notice('info', 'No log_patterns: rules are configured (or none has been scraped yet).')
          : table(['pattern', 'severity', 'matches', 'in window', 'state', 'alert', 'last line', 'source'],
            names.map((p) => {
              const a = amAlerts.find((x) => x.labels.alertname === p && x.annotations.last_line !== undefined);
              const isFiring = fir.has(p) && fir.get(p).value > 0;
              return {
                attrs: {class: 'pattern-row', 'data-pattern': p},
                cells: [
                  h('b', null, p),
                  t.get(p).metric.severity ? badge(t.get(p).metric.severity) : '',
                  fmtNum(t.get(p).value),
                  win.has(p) ? fmtNum(win.get(p).value) : '—',
                  isFiring ? badge('firing') : badge('inactive', 'quiet'),
                  a ? h('span', {title: a.annotations.summary || ''},
                    badge(a.status.state === 'suppressed' ? 'silenced' : 'firing',
                      a.status.state === 'suppressed' ? 'silenced' : 'active'),
                    ` since ${fmtAgo(a.startsAt)} `, labelChips(a.labels, ['alertname'])) : '',
                  a ? h('code', {class: 'logline'}, a.annotations.last_line) : '',
                  a ? a.annotations.source || '' : '',
                ],
              };
            })));
    }

    if (tailer.status === 'fulfilled' && tailer.value.result.length) {
      const v = (n) => {
        const s = tailer.value.result.find((x) => x.metric.__name__ === n);
        return s ? fmtNum(Number(s.value[1])) : '—';
      };
      replace(tail, h('h2', null, 'File tailer'), h('dl', {class: 'kv'},
        h('dt', null, 'lines read'), h('dd', null, v('vigil_log_tail_lines_total')),
        h('dt', null, 'lines cut at the length limit'), h('dd', null, v('vigil_log_tail_truncated_lines_total')),
        h('dt', null, 'rotations followed'), h('dd', null, v('vigil_log_tail_rotations_total'))));
    } else {
      replace(tail, h('h2', null, 'File tailer'), notice('info', 'No file is tailed.'));
    }
  };
  rangeSel.addEventListener('change', reload);
  await reload();
  return {refresh: reload};
}

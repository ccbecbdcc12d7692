// Log-pattern hits: the log_patterns: rules of the configuration
// (daemon/log_patterns.cc) from vigil's /api/v1/log_patterns (each rule's
// regular expression, threshold and window, matches, state and last
// matching line), their matches per minute from the self-scraped
//   vigil_log_pattern_matches_total{pattern, severity}
//   vigil_log_tail_{lines,truncated_lines,rotations}_total  the file tailer
// and the alerts they raise (alertname = the pattern's name) from the
// embedded alert manager, when there is one.
import {am, instant, prom, range} from '../api.js';
import {fromMatrix, lineChart} from '../chart.js';
import {badge, fmtAgo, fmtDuration, fmtNum, h, labelChips, notice, parseDuration, replace, table} from '../util.js';

export const title = 'Log patterns';
export const autoRefresh = true;

const RANGES = ['15m', '1h', '6h', '1d', '1w'];

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
    const [hits, list, alerts, tailer] = await Promise.allSettled([
      range(`60 * sum by (pattern) (rate(vigil_log_pattern_matches_total[${w}s]))`, start, end, step),
      prom('log_patterns'),
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

    if (list.status === 'rejected') {
      replace(patterns, h('h2', null, 'Patterns'), notice('error', list.reason.message));
    } else {
      const pats = list.value.patterns;
      const amAlerts = alerts.status === 'fulfilled' && alerts.value ? alerts.value : [];
      replace(patterns, h('h2', null, `Patterns: ${pats.length}`),
        pats.length === 0
          ? notice('info', 'No log_patterns: rules are configured.')
          : table(['pattern', 'regular expression', 'severity', 'matches', 'in window', 'state', 'alert',
            'last line', 'source'],
          pats.map((p) => {
            const a = amAlerts.find((x) => x.labels.alertname === p.name && x.annotations.last_line !== undefined);
            return {
              attrs: {class: 'pattern-row', 'data-pattern': p.name},
              cells: [
                h('b', null, p.name),
                h('code', null, p.pattern),
                p.severity ? badge(p.severity) : '',
                fmtNum(p.matchesTotal),
                `${fmtNum(p.windowMatches)} of ${p.threshold} in ${fmtDuration(p.window)}`,
                p.firing ? badge('firing') : badge('inactive', 'quiet'),
                a ? h('span', {class: 'pattern-alert', title: a.annotations.summary || ''},
                  badge(a.status.state === 'suppressed' ? 'silenced' : 'firing',
                    a.status.state === 'suppressed' ? 'silenced' : 'active'),
                  ` since ${fmtAgo(a.startsAt)} `, labelChips(a.labels, ['alertname'])) : '',
                p.lastLine ? h('code', {class: 'logline', title: p.lastMatch || ''}, p.lastLine) : '',
                p.lastSource || '',
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

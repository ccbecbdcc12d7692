// Anomalies: what anomaly rules (rules/anomaly_rule.h) wrote.
//   vigil_anomaly_score{anomaly, <series labels>, <rule labels>}  every time, in [0, 1]
//   vigil_anomaly{anomaly, severity, ...}  the score while at or above `low`
// A timeline of anomalous series by severity, the series anomalous within
// the range, and for one anomaly rule its score against the series it
// watches (the rule's expression, from /api/v1/rules), on synced charts.
import {instant, prom, range} from '../api.js';
import {SEVERITY_COLORS, fromMatrix, lineChart} from '../chart.js';
import {badge, fmtNum, h, labelChips, labelKey, notice, parseDuration, queryLink, replace, seriesName, table} from '../util.js';

export const title = 'Anomalies';
export const autoRefresh = true;

const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const RANGES = ['15m', '1h', '6h', '1d', '1w'];
const HIDDEN = ['__name__', 'anomaly', 'severity'];

function sel(labels) {
  return `{${Object.keys(labels).filter((n) => n !== '__name__').sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

export async function render(root, ctx) {
  const rangeSel = h('select', {id: 'anomaly-range'}, RANGES.map((r) => h('option', {value: r}, `last ${r}`)));
  rangeSel.value = RANGES.includes(ctx.params.get('range')) ? ctx.params.get('range') : '1h';
  const ruleSel = h('select', {id: 'anomaly-rule'});
  const seriesSel = h('select', {id: 'anomaly-series'});
  const timeline = h('section', {class: 'card', id: 'anomaly-timeline'});
  const recent = h('section', {class: 'card', id: 'anomaly-recent'});
  const detail = h('section', {class: 'card', id: 'anomaly-detail'});
  const pick = h('div', {class: 'row', id: 'anomaly-pick'},
    h('label', null, 'Anomaly rule ', ruleSel), h('label', null, 'Series ', seriesSel));
  replace(root, h('h1', null, 'Anomalies'), h('div', {class: 'row'}, rangeSel), timeline, recent,
    pick, detail);

  let rules = [];        // anomaly rules: {name, query, labels}
  let scoreSeries = [];  // score series of the chosen rule (instant)

  const span = () => {
    const r = parseDuration(rangeSel.value);
    const end = Math.floor(Date.now() / 1000);
    return {r, start: end - r, end, step: Math.max(1, Math.floor(r / 240))};
  };

  const drawTimeline = async ({start, end, step}) => {
    try {
      const data = await range('count by (severity) (vigil_anomaly)', start, end, step);
      const {xs, series} = fromMatrix(data.result, start, end, step, (m) => m.severity || '?');
      series.sort((a, b) => SEVERITIES.indexOf(a.label) - SEVERITIES.indexOf(b.label));
      for (const s of series) s.color = SEVERITY_COLORS[s.label];
      replace(timeline, h('h2', null, 'Anomalous series by severity'),
        series.length ? lineChart({xs, series, height: 180, stepped: true, fill: true, sync: 'anomaly'})
          : notice('info', 'No anomalies in this range.'));
    } catch (e) {
      replace(timeline, h('h2', null, 'Anomalous series by severity'), notice('error', e.message));
    }
  };

  const drawRecent = async ({r, end}) => {
    try {
      const [inRange, now] = await Promise.all([
        instant(`max_over_time(vigil_anomaly[${Math.round(r)}s])`, end), instant('vigil_anomaly', end)]);
      // One row per series: the highest severity seen in the range.
      const rows = new Map();
      for (const s of inRange.result) {
        const base = {...s.metric};
        delete base.severity;
        const k = labelKey(base);
        const v = Number(s.value[1]);
        const row = rows.get(k) || {labels: base, severity: s.metric.severity, max: v, now: null};
        if (SEVERITIES.indexOf(s.metric.severity) > SEVERITIES.indexOf(row.severity)) row.severity = s.metric.severity;
        row.max = Math.max(row.max, v);
        rows.set(k, row);
      }
      for (const s of now.result) {
        const base = {...s.metric};
        delete base.__name__;
        delete base.severity;
        const row = rows.get(labelKey(base));
        if (row) row.now = s.metric.severity;
      }
      const list = [...rows.values()].sort((a, b) => b.max - a.max);
      replace(recent, h('h2', null, `Anomalous in the last ${rangeSel.value}: ${list.length}`),
        table(['anomaly', 'series', 'worst', 'max score', 'now'], list.map((x) => ({
          attrs: {class: 'anomaly-row'},
          cells: [
            h('b', null, x.labels.anomaly || ''),
            labelChips(x.labels, HIDDEN),
            badge(x.severity),
            fmtNum(x.max),
            x.now ? badge(x.now) : 'normal',
          ],
        }))));
    } catch (e) {
      replace(recent, h('h2', null, 'Anomalous series'), notice('error', e.message));
    }
  };

  const drawDetail = async ({start, end, step}) => {
    const rule = rules.find((x) => x.name === ruleSel.value);
    const picked = scoreSeries.find((s) => labelKey(s.metric) === seriesSel.value);
    if (!rule || !picked) {
      replace(detail, h('h2', null, 'Score against the series'),
        notice('info', rules.length ? 'This rule has not scored any series yet.' :
          'No anomaly rules have written scores yet (anomaly: rules in a rule file; see docs/anomaly.md).'));
      return;
    }
    const labels = {...picked.metric};
    delete labels.__name__;
    const scoreExpr = `vigil_anomaly_score${sel(labels)}`;
    const sevExpr = `vigil_anomaly${sel(labels)}`;
    try {
      const [src, score, sev] = await Promise.all([
        range(rule.query, start, end, step), range(scoreExpr, start, end, step), range(sevExpr, start, end, step)]);
      // The watched series: the expression's result whose labels the score
      // carries (the score adds `anomaly` and the rule's labels).
      const match = src.result.filter((s) => Object.entries(s.metric)
        .every(([k, v]) => k === '__name__' || labels[k] === v));
      const a = fromMatrix(match.slice(0, 1), start, end, step, () => 'value');
      const b = fromMatrix(score.result, start, end, step, () => 'score');
      const c = fromMatrix(sev.result, start, end, step, (m) => m.severity || '?');
      for (const s of c.series) {
        s.color = SEVERITY_COLORS[s.label];
      }
      b.series.forEach((s) => { s.color = '#555'; });
      replace(detail,
        h('h2', null, `Score against the series: ${rule.name} `, labelChips(labels, HIDDEN)),
        h('p', {class: 'muted'}, 'series: ', h('a', {href: queryLink(rule.query, rangeSel.value), class: 'code'}, rule.query)),
        a.series.length ? lineChart({xs: a.xs, series: a.series, height: 200, sync: 'anomaly', legend: true})
          : notice('info', 'The rule\'s expression returns no matching series in this range.'),
        h('p', {class: 'muted'}, 'score (0–1; coloured where at or above a severity threshold): ',
          h('a', {href: queryLink(scoreExpr, rangeSel.value), class: 'code'}, scoreExpr)),
        lineChart({xs: b.xs, series: [...b.series, ...c.series], height: 200, yRange: [0, 1],
          sync: 'anomaly', legend: true}));
    } catch (e) {
      replace(detail, h('h2', null, 'Score against the series'), notice('error', e.message));
    }
  };

  // The rule list: the rules API lists anomaly rules among recording rules,
  // with vigil's `anomaly` field (the detector).
  const loadRules = async () => {
    const groups = await prom('rules', {type: 'record'});
    rules = groups.groups.flatMap((g) => g.rules).filter((x) => x.anomaly);
    const keep = ruleSel.value || ctx.params.get('anomaly');
    replace(ruleSel, rules.map((x) => h('option', {value: x.name}, `rule ${x.name}`)));
    pick.hidden = rules.length === 0;
    if (rules.some((x) => x.name === keep)) ruleSel.value = keep;
  };
  const loadSeries = async () => {
    scoreSeries = [];
    if (!ruleSel.value) {
      replace(seriesSel);
      return;
    }
    const {r, end} = span();
    const data = await instant(`max_over_time(vigil_anomaly_score{anomaly=${JSON.stringify(ruleSel.value)}}[${Math.round(r)}s])`, end);
    scoreSeries = data.result.sort((x, y) => Number(y.value[1]) - Number(x.value[1]));
    const keep = seriesSel.value;
    replace(seriesSel, scoreSeries.map((s) => h('option', {value: labelKey(s.metric)},
      `${seriesName(Object.fromEntries(Object.entries(s.metric).filter(([k]) => !HIDDEN.includes(k))))} (max ${fmtNum(Number(s.value[1]))})`)));
    if (scoreSeries.some((s) => labelKey(s.metric) === keep)) seriesSel.value = keep;
  };

  const reload = async () => {
    const w = span();
    try {
      await loadRules();
      await loadSeries();
    } catch (e) {
      replace(detail, notice('error', e.message));
    }
    await Promise.all([drawTimeline(w), drawRecent(w), drawDetail(w)]);
  };
  rangeSel.addEventListener('change', reload);
  ruleSel.addEventListener('change', async () => {
    seriesSel.value = '';
    await loadSeries();
    await drawDetail(span());
  });
  seriesSel.addEventListener('change', () => drawDetail(span()));
  await reload();
  return {refresh: reload};
}

// SLOs: the rule groups `vigil slo generate` writes (slo/generate.cc) and
// `slo_files:` loads, found in /api/v1/rules by their recording rules,
// with the error budget from the recorded series (labels slo_service, slo):
//   slo:objective:ratio, slo:error_budget:ratio, slo:time_period:days,
//   slo:current_burn_rate:ratio, slo:period_burn_rate:ratio,
//   slo:period_error_budget_remaining:ratio   (1 - period burn rate)
//   slo:sla_violation:bool                    (SLAs: 1 while violated)
// and the state of each group's burn-rate alerts.
import {instant, prom, range} from '../api.js';
import {fromMatrix, lineChart} from '../chart.js';
import {badge, fmtNum, fmtPercent, h, notice, parseDuration, queryLink, replace, table} from '../util.js';

export const title = 'SLOs';
export const autoRefresh = true;

const RANGES = ['1h', '6h', '1d', '1w', '30d'];
const SERIES = ['slo:objective:ratio', 'slo:error_budget:ratio', 'slo:time_period:days',
  'slo:current_burn_rate:ratio', 'slo:period_burn_rate:ratio',
  'slo:period_error_budget_remaining:ratio', 'slo:sla_violation:bool'];

const key = (l) => `${l.slo_service || ''}\u0000${l.slo || ''}`;

// {kind: 'slo'|'sla', service, name, group, alerts: [rules]} per generated group.
function findSlos(groups) {
  const out = [];
  for (const g of groups) {
    const rec = (n) => g.rules.find((r) => r.type === 'recording' && r.name === n);
    const anchor = rec('slo:objective:ratio') || rec('slo:sla_violation:bool');
    if (!anchor) continue;
    const labels = anchor.labels || {};
    out.push({
      kind: anchor.name === 'slo:objective:ratio' ? 'slo' : 'sla',
      service: labels.slo_service || '',
      name: labels.slo || g.name,
      group: g.name,
      alerts: g.rules.filter((r) => r.type === 'alerting'),
      sla: rec('slo:sla_violation:bool'),
    });
  }
  return out;
}

export async function render(root, ctx) {
  const rangeSel = h('select', {id: 'slo-range'}, RANGES.map((r) => h('option', {value: r}, `last ${r}`)));
  rangeSel.value = RANGES.includes(ctx.params.get('range')) ? ctx.params.get('range') : '1d';
  const list = h('section', {class: 'card', id: 'slo-list'});
  const slaList = h('section', {class: 'card', id: 'sla-list'});
  const chart = h('section', {class: 'card', id: 'slo-chart'});
  replace(root, h('h1', null, 'SLOs and error budgets'), list, h('div', {class: 'row'}, rangeSel), chart, slaList);

  const reload = async () => {
    let slos;
    const values = new Map();  // series name -> key -> value
    const end = Math.floor(Date.now() / 1000);
    try {
      const [rules, ...vals] = await Promise.all([prom('rules'), ...SERIES.map((s) => instant(s, end))]);
      slos = findSlos(rules.groups);
      SERIES.forEach((s, i) => {
        const m = new Map();
        for (const r of vals[i].result) m.set(key(r.metric), Number(r.value[1]));
        values.set(s, m);
      });
    } catch (e) {
      replace(list, h('h2', null, 'SLOs'), notice('error', e.message));
      return;
    }
    const v = (series, s) => {
      const x = values.get(series).get(key({slo_service: s.service, slo: s.name}));
      return x === undefined ? null : x;
    };
    const alertCell = (s) => h('span', {class: 'alerts'}, s.alerts.map((a) =>
      h('span', {class: 'alert-state'}, badge(a.state), ' ', a.name,
        a.labels && a.labels.slo_severity ? h('span', {class: 'muted'}, ` (${a.labels.slo_severity})`) : '')));
    const objectives = slos.filter((s) => s.kind === 'slo');
    const slas = slos.filter((s) => s.kind === 'sla');

    replace(list, h('h2', null, `SLOs: ${objectives.length}`),
      objectives.length === 0
        ? notice('info', h('span', null, 'No SLOs loaded. Write an SLO file (docs/formats/slo.md) and list it under ',
          h('code', null, 'slo_files:'), ', or load the rules ', h('code', null, 'vigil slo generate'), ' writes.'))
        : table(['service', 'SLO', 'objective', 'window', 'error budget remaining', 'burn rate now', 'burn rate (window)', 'alerts'],
          objectives.map((s) => {
            const remaining = v('slo:period_error_budget_remaining:ratio', s);
            const ok = remaining !== null && Number.isFinite(remaining);
            const state = !ok ? 'unknown' : remaining <= 0 ? 'err' : remaining < 0.25 ? 'pending' : 'ok';
            const days = v('slo:time_period:days', s);
            const sel = `{slo_service=${JSON.stringify(s.service)}, slo=${JSON.stringify(s.name)}}`;
            return {
              attrs: {class: 'slo-row', 'data-slo': s.name, 'data-budget-remaining': ok ? String(remaining) : ''},
              cells: [
                s.service,
                h('b', null, s.name),
                fmtPercent(v('slo:objective:ratio', s), 5),
                days === null ? '—' : `${fmtNum(days)}d`,
                h('span', {class: 'budget'},
                  h('meter', {min: 0, max: 1, low: 0.25, high: 0.5, optimum: 1, value: ok ? Math.max(0, Math.min(1, remaining)) : 0}),
                  ' ', badge(state, ok ? fmtPercent(remaining) : 'no data'),
                  ' ', h('a', {href: queryLink(`slo:period_error_budget_remaining:ratio${sel}`, '1d'), class: 'muted'}, 'graph')),
                fmtBurn(v('slo:current_burn_rate:ratio', s)),
                fmtBurn(v('slo:period_burn_rate:ratio', s)),
                alertCell(s),
              ],
            };
          })));

    replace(slaList, h('h2', null, `SLAs: ${slas.length}`),
      slas.length === 0 ? notice('info', 'No SLAs loaded.')
        : table(['service', 'SLA', 'state', 'alerts'], slas.map((s) => {
          const x = v('slo:sla_violation:bool', s);
          return {
            attrs: {class: 'sla-row', 'data-sla': s.name},
            cells: [s.service, h('b', null, s.name),
              x === null ? badge('unknown', 'no data') : x > 0 ? badge('err', 'violated') : badge('ok', 'met'),
              alertCell(s)],
          };
        })));

    const r = parseDuration(rangeSel.value);
    const start = end - r;
    const step = Math.max(1, Math.floor(r / 240));
    try {
      const data = objectives.length
        ? await range('slo:period_error_budget_remaining:ratio', start, end, step) : {result: []};
      const {xs, series} = fromMatrix(data.result, start, end, step, (m) => `${m.slo_service}/${m.slo}`);
      replace(chart, h('h2', null, 'Error budget remaining'),
        series.length ? lineChart({xs, series, height: 240, yFormat: (x) => fmtPercent(x)})
          : notice('info', 'No error-budget series in this range.'));
    } catch (e) {
      replace(chart, h('h2', null, 'Error budget remaining'), notice('error', e.message));
    }
  };
  rangeSel.addEventListener('change', reload);
  await reload();
  return {refresh: reload};
}

function fmtBurn(x) {
  if (x === null || !Number.isFinite(x)) return '—';
  return h('span', {class: x > 1 ? 'error-text' : ''}, `${fmtNum(x)}×`);
}

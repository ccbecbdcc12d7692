// Rules (/api/v1/rules): each group with its file, interval and last
// evaluation; each rule with its state (alerting rules), health, last
// error, last evaluation and evaluation time. A filter narrows by name,
// type and health.
import {prom} from '../api.js';
import {badge, fmtAgo, fmtDuration, fmtSeconds, h, notice, queryLink, replace, table} from '../util.js';

export const title = 'Rules';
export const autoRefresh = true;

export async function render(root, ctx) {
  const filter = h('input', {id: 'rules-filter', type: 'search', placeholder: 'filter by name or group',
    value: ctx.params.get('filter') || ''});
  const kind = h('select', {id: 'rules-kind'},
    h('option', {value: ''}, 'all rules'), h('option', {value: 'alerting'}, 'alerting'),
    h('option', {value: 'recording'}, 'recording'), h('option', {value: 'err'}, 'unhealthy'));
  const summary = h('p', {class: 'summary', id: 'rules-summary'});
  const body = h('div', {id: 'rules-body'});
  replace(root, h('h1', null, 'Rules'), h('div', {class: 'row'}, filter, kind), summary, body);
  let groups = [];
  const closed = new Set();  // groups the user folded, kept across refreshes

  const draw = () => {
    const f = filter.value.trim().toLowerCase();
    const k = kind.value;
    let total = 0;
    let unhealthy = 0;
    const sections = [];
    for (const g of groups) {
      total += g.rules.length;
      unhealthy += g.rules.filter((r) => r.health === 'err').length;
      const rules = g.rules.filter((r) =>
        (!f || r.name.toLowerCase().includes(f) || g.name.toLowerCase().includes(f)) &&
        (!k || (k === 'err' ? r.health === 'err' : r.type === k)));
      if (rules.length === 0 && (f || k)) continue;
      const groupErrs = g.rules.filter((r) => r.health === 'err').length;
      sections.push(h('details', {class: 'card group', open: !closed.has(g.name), 'data-group': g.name,
        ontoggle: (e) => (e.currentTarget.open ? closed.delete(g.name) : closed.add(g.name))},
        h('summary', null, h('b', null, g.name), ' ',
          groupErrs ? badge('err', `${groupErrs} unhealthy`) : badge('ok'),
          h('span', {class: 'muted'}, ` ${g.file || ''} · every ${fmtDuration(g.interval)} · ` +
            `last evaluation ${fmtAgo(g.lastEvaluation)} took ${fmtSeconds(g.evaluationTime)}`)),
        table(['rule', 'query', 'state', 'health', 'last error', 'last evaluation', 'took'],
          rules.map((r) => ({
            attrs: {class: 'rule-row', 'data-rule': r.name},
            cells: [
              h('span', null, kindBadge(r), ' ', h('b', null, r.name)),
              h('a', {href: queryLink(r.query), class: 'code'}, r.query),
              r.type === 'alerting'
                ? h('span', null, badge(r.state), r.alerts && r.alerts.length ? ` (${r.alerts.length})` : '')
                : '',
              badge(r.health),
              r.lastError ? h('span', {class: 'error-text'}, r.lastError) : '',
              h('span', {title: r.lastEvaluation}, fmtAgo(r.lastEvaluation)),
              fmtSeconds(r.evaluationTime),
            ],
          })))));
    }
    summary.textContent = `${groups.length} groups, ${total} rules` +
      (unhealthy ? `, ${unhealthy} unhealthy` : '');
    if (sections.length === 0) {
      replace(body, notice('info', groups.length ? 'No rule matches the filter.' :
        'No rules loaded (rule_files: and slo_files: in the configuration).'));
    } else {
      replace(body, sections);
    }
  };
  filter.addEventListener('input', draw);
  kind.addEventListener('change', draw);

  const reload = async () => {
    try {
      groups = (await prom('rules')).groups;
    } catch (e) {
      replace(body, notice('error', e.message));
      return;
    }
    draw();
  };
  await reload();
  return {refresh: reload};
}

// "alert", "record", or "anomaly": the rules API lists anomaly rules as
// recording rules with vigil's `anomaly` field (their detector).
function kindBadge(r) {
  if (r.type === 'alerting') return badge('alert');
  if (r.anomaly) return badge('anomaly', `anomaly (${r.anomaly.detector})`);
  return badge('record');
}

// Alerts: firing and pending alerts of the rules (/api/v1/alerts), merged
// with the embedded alert manager's view (/api/v2/alerts): alerts that no
// rule made (log patterns, other senders), and which are silenced or
// inhibited. "Silence" on an alert opens a form whose matchers are the
// alert's labels and POSTs the silence to /api/v2/silences.
import {alertmanagerKnownOff, am, prom} from '../api.js';
import {badge, fmtAgo, h, labelChips, notice, parseDuration, replace, table} from '../util.js';

export const title = 'Alerts';
export const autoRefresh = true;

const AUTHOR_KEY = 'vigil.silence_author';

// Whether label set `sub` is contained in `sup`.
function within(sub, sup) {
  return Object.entries(sub).every(([k, v]) => sup[k] === v);
}

function annotationsCell(a) {
  const ann = a.annotations || {};
  const main = ann.summary || ann.description || ann.message || '';
  const rest = Object.keys(ann).filter((k) => ann[k] !== main).sort();
  return h('div', {class: 'annotations'},
    main ? h('div', null, main) : null,
    rest.length ? h('details', null, h('summary', null, `${rest.length} more`),
      h('dl', {class: 'kv'}, rest.map((k) => [h('dt', null, k), h('dd', null, ann[k])]))) : null);
}

// The silence form, one per page, opened with an alert's labels.
function silenceDialog(onCreated) {
  const matchers = h('div', {id: 'silence-matchers', class: 'matchers'});
  const duration = h('input', {id: 'silence-duration', value: '2h', size: 8, required: true});
  const author = h('input', {id: 'silence-author', size: 20, required: true,
    value: localStorage.getItem(AUTHOR_KEY) || 'vigil-ui'});
  const comment = h('textarea', {id: 'silence-comment', rows: 2, cols: 40, required: true});
  const error = h('div', {id: 'silence-error'});
  const form = h('form', {method: 'dialog'},
    h('h2', null, 'New silence'),
    h('p', null, 'Alerts matching every checked label are silenced.'),
    matchers,
    h('div', {class: 'row'}, h('label', null, 'Duration ', duration),
      h('label', null, 'Created by ', author)),
    h('label', {class: 'block'}, 'Comment', comment),
    error,
    h('div', {class: 'row'},
      h('button', {type: 'submit', id: 'silence-submit', class: 'primary', value: 'create'}, 'Create silence'),
      h('button', {type: 'button', id: 'silence-cancel', onclick: () => dlg.close()}, 'Cancel')));
  const dlg = h('dialog', {id: 'silence-dialog'}, form);
  let labels = {};
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const seconds = parseDuration(duration.value);
    if (!(seconds > 0)) {
      replace(error, notice('error', `"${duration.value}" is not a duration (30m, 2h, 1d …)`));
      return;
    }
    const chosen = [...matchers.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
    if (chosen.length === 0) {
      replace(error, notice('error', 'Check at least one label.'));
      return;
    }
    const now = new Date();
    const body = {
      matchers: chosen.map((n) => ({name: n, value: labels[n], isRegex: false, isEqual: true})),
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + seconds * 1000).toISOString(),
      createdBy: author.value.trim(),
      comment: comment.value.trim(),
    };
    try {
      const r = await am('silences', {method: 'POST', json: body});
      if (r === null) throw new Error('the embedded alert manager is not enabled');
      localStorage.setItem(AUTHOR_KEY, body.createdBy);
      dlg.close();
      onCreated(r.silenceID, body);
    } catch (err) {
      replace(error, notice('error', `Could not create the silence: ${err.message}`));
    }
  });
  return {
    el: dlg,
    open(alertLabels) {
      labels = {...alertLabels};
      replace(error);
      replace(matchers, Object.keys(labels).sort().map((n) =>
        h('label', {class: 'matcher'}, h('input', {type: 'checkbox', value: n, checked: true}),
          ' ', h('b', null, n), `="${labels[n]}"`)));
      comment.value = `Silenced from the vigil UI: ${labels.alertname || 'alert'}`;
      dlg.showModal();
    },
  };
}

export async function render(root) {
  const status = h('div', {id: 'alerts-status'});
  const body = h('div', {id: 'alerts-body'});
  let reload = async () => {};
  const dialog = silenceDialog((id, b) => {
    replace(status, h('div', {class: 'notice ok', id: 'silence-result', 'data-silence-id': id},
      `Silence ${id} created until ${new Date(b.endsAt).toLocaleString()} for `,
      labelChips(Object.fromEntries(b.matchers.map((m) => [m.name, m.value]))), '. ',
      h('a', {href: '/silences'}, 'Silences')));
    reload();
  });
  replace(root, h('h1', null, 'Alerts'), status, body, dialog.el);

  const silenceButton = (labels) => h('button', {type: 'button', class: 'silence-btn',
    'data-alertname': labels.alertname || '', disabled: alertmanagerKnownOff(),
    title: alertmanagerKnownOff() ? 'no embedded alert manager' : 'Silence alerts with these labels',
    onclick: () => dialog.open(labels)}, 'Silence');

  reload = async () => {
    const [v1r, v2r] = await Promise.allSettled([prom('alerts'), am('alerts')]);
    const parts = [];
    const v1 = v1r.status === 'fulfilled' ? v1r.value.alerts : [];
    if (v1r.status === 'rejected') parts.push(notice('error', `rule alerts: ${v1r.reason.message}`));
    let v2 = null;
    if (v2r.status === 'fulfilled') v2 = v2r.value;
    else parts.push(notice('error', `alert manager: ${v2r.reason.message}`));
    if (v2r.status === 'fulfilled' && v2 === null) {
      parts.push(notice('info', 'No embedded alert manager (alertmanager: in the configuration): ' +
        'showing rule alerts only; silences are unavailable.'));
    }
    const amAlerts = v2 || [];
    // A rule alert reaches the alert manager with the external labels
    // added: match it to the AM alert whose labels contain its own.
    const amOf = (a) => amAlerts.find((x) => within(a.labels, x.labels));
    const firing = [];
    const pending = [];
    const silenced = [];
    const inhibited = [];
    for (const a of v1) {
      const x = amOf(a);
      const row = {labels: x ? x.labels : a.labels, annotations: a.annotations, since: a.activeAt,
        value: a.value, source: 'rule', am: x};
      if (x && x.status.silencedBy.length) silenced.push(row);
      else if (x && x.status.inhibitedBy.length) inhibited.push(row);
      else if (a.state === 'firing') firing.push(row);
      else if (a.state === 'pending') pending.push(row);
    }
    for (const x of amAlerts) {
      if (v1.some((a) => within(a.labels, x.labels))) continue;
      const row = {labels: x.labels, annotations: x.annotations, since: x.startsAt,
        source: 'alert manager', am: x};
      if (x.status.silencedBy.length) silenced.push(row);
      else if (x.status.inhibitedBy.length) inhibited.push(row);
      else if (x.status.state === 'active') firing.push(row);
    }
    const rows = (list, withButton) => list.map((r) => ({
      attrs: {class: 'alert-row', 'data-alertname': r.labels.alertname || ''},
      cells: [
        h('b', null, r.labels.alertname || '(no name)'),
        labelChips(r.labels, ['alertname']),
        annotationsCell(r),
        h('span', {title: r.since}, fmtAgo(r.since)),
        r.source,
        withButton ? silenceButton(r.labels) : (r.am ? h('span', {class: 'ids'},
          [...r.am.status.silencedBy, ...r.am.status.inhibitedBy].map((id) =>
            h('a', {href: `/silences#${id}`}, id.slice(0, 8)))) : ''),
      ],
    }));
    const section = (id, name, state, list, withButton) => h('section', {id, class: 'card'},
      h('h2', null, badge(state, name), ` ${list.length}`),
      table(['alert', 'labels', 'annotations', 'since', 'source', withButton ? '' : 'by'],
        rows(list, withButton)));
    parts.push(section('firing', 'firing', 'firing', firing, true));
    parts.push(section('pending', 'pending', 'pending', pending, true));
    if (v2 !== null) {
      parts.push(section('silenced', 'silenced', 'silenced', silenced, false));
      if (inhibited.length) parts.push(section('inhibited', 'inhibited', 'inhibited', inhibited, false));
    }
    replace(body, parts);
  };
  await reload();
  return {refresh: reload};
}

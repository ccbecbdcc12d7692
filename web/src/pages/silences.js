// Silences of the embedded alert manager (/api/v2/silences): active,
// pending and expired, with the alerts each one silences now; "Expire"
// sends DELETE /api/v2/silence/{id}.
import {am} from '../api.js';
import {badge, fmtAgo, fmtTime, h, notice, replace, table} from '../util.js';

export const title = 'Silences';
export const autoRefresh = true;

function matcherText(m) {
  const op = (m.isEqual === false ? '!' : '=') + (m.isRegex ? '~' : (m.isEqual === false ? '=' : ''));
  return `${m.name}${op}"${m.value}"`;
}

export async function render(root) {
  const status = h('div', {id: 'silences-status'});
  const body = h('div', {id: 'silences-body'});
  replace(root, h('h1', null, 'Silences'), status, body);

  const expire = async (id, button) => {
    button.disabled = true;
    try {
      await am(`silence/${encodeURIComponent(id)}`, {method: 'DELETE'});
      replace(status, notice('ok', `Silence ${id} expired.`));
    } catch (e) {
      replace(status, notice('error', `Could not expire ${id}: ${e.message}`));
    }
    await reload();
  };

  const reload = async () => {
    let silences;
    let alerts = [];
    try {
      silences = await am('silences');
      if (silences !== null) alerts = (await am('alerts')) || [];
    } catch (e) {
      replace(body, notice('error', e.message));
      return;
    }
    if (silences === null) {
      replace(body, notice('info', 'No embedded alert manager: add an alertmanager: section to the ' +
        'configuration to use silences.'));
      return;
    }
    const silencedBy = (id) => alerts.filter((a) => a.status.silencedBy.includes(id));
    const groups = {active: [], pending: [], expired: []};
    for (const s of silences) (groups[s.status.state] || groups.expired).push(s);
    const parts = [];
    for (const state of ['active', 'pending', 'expired']) {
      const list = groups[state];
      parts.push(h('section', {class: 'card', id: `silences-${state}`},
        h('h2', null, badge(state === 'active' ? 'silenced' : state, state), ` ${list.length}`),
        table(['matchers', 'starts', 'ends', 'created by', 'comment', 'silencing', 'id', ''],
          list.map((s) => ({
            attrs: {id: s.id, class: 'silence-row', 'data-silence-id': s.id},
            cells: [
              h('span', {class: 'labels'}, s.matchers.map((m) => h('span', {class: 'label'}, matcherText(m)))),
              h('span', {title: s.startsAt}, fmtTime(s.startsAt)),
              h('span', {title: s.endsAt}, `${fmtTime(s.endsAt)} (${fmtAgo(s.endsAt)})`),
              s.createdBy,
              s.comment,
              state === 'active' ? String(silencedBy(s.id).length) : '',
              h('code', {title: s.id}, s.id.slice(0, 8)),
              state === 'expired' ? '' : h('button', {type: 'button', class: 'expire-btn',
                onclick: (e) => expire(s.id, e.currentTarget)}, 'Expire'),
            ],
          })))));
    }
    replace(body, parts);
    if (location.hash) {
      const row = document.getElementById(location.hash.slice(1));
      if (row) row.classList.add('highlight');
    }
  };
  await reload();
  return {refresh: reload};
}

// The UI's entry point. vigil answers every page path ("/", "/query", ...)
// with the same index.html; this module picks the page by location.pathname,
// renders it into <main id="app">, and re-runs its refresh function on the
// interval chosen in the header (kept in localStorage).
//
// A page module exports:
//   title            the <title> and heading
//   autoRefresh      whether the header's interval applies to it
//   render(root, ctx)  async; fills root and resolves to {refresh}: what the
//                    interval and the refresh button call (optional).
//                    ctx.params holds the URL's query parameters.
// When the first render has finished, <body> gets data-ready="1" (tests wait
// for it).
import {prom} from './api.js';
import {h, notice, replace} from './util.js';
import * as overview from './pages/overview.js';
import * as query from './pages/query.js';
import * as alerts from './pages/alerts.js';
import * as silences from './pages/silences.js';
import * as rules from './pages/rules.js';
import * as anomalies from './pages/anomalies.js';
import * as logs from './pages/logs.js';
import * as slos from './pages/slos.js';

const PAGES = {
  '/': overview,
  '/query': query,
  '/alerts': alerts,
  '/silences': silences,
  '/rules': rules,
  '/anomalies': anomalies,
  '/logs': logs,
  '/slos': slos,
};

const REFRESH_KEY = 'vigil.refresh_s';

function currentPath() {
  const p = location.pathname.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

function markNav(path) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function showBuildInfo() {
  const el = document.getElementById('build');
  if (!el) return;
  try {
    const b = await prom('status/buildinfo');
    el.textContent = `${b.application || 'vigil'} ${b.version || ''}`.trim();
    el.title = Object.entries(b).map(([k, v]) => `${k}: ${v}`).join('\n');
  } catch (e) {
    el.textContent = '';
  }
}

function refreshControl(onChange, onNow) {
  const saved = localStorage.getItem(REFRESH_KEY);
  const select = h('select', {id: 'refresh-interval', title: 'Auto-refresh interval',
    onchange: () => {
      localStorage.setItem(REFRESH_KEY, select.value);
      onChange(Number(select.value));
    }},
  [['0', 'off'], ['5', '5s'], ['15', '15s'], ['30', '30s'], ['60', '1m']]
    .map(([v, t]) => h('option', {value: v}, `auto-refresh ${t}`)));
  select.value = saved !== null && ['0', '5', '15', '30', '60'].includes(saved) ? saved : '15';
  const button = h('button', {type: 'button', id: 'refresh-now', title: 'Refresh now',
    onclick: onNow}, 'Refresh');
  return {el: h('span', {class: 'refresh'}, select, button), seconds: Number(select.value)};
}

async function main() {
  const root = document.getElementById('app');
  const path = currentPath();
  const page = PAGES[path];
  markNav(path);
  showBuildInfo();
  if (!page) {
    document.title = 'Not found · vigil';
    replace(root, h('h1', null, 'Not found'),
      notice('error', `No page at ${path}. `, h('a', {href: '/'}, 'Overview')));
    document.body.dataset.ready = '1';
    return;
  }
  document.title = `${page.title} · vigil`;
  let refreshFn = null;
  let timer = null;
  let running = false;
  const runRefresh = async () => {
    if (!refreshFn || running) return;
    running = true;
    try {
      await refreshFn();
    } catch (e) {
      console.warn('refresh failed', e);
    } finally {
      running = false;
    }
  };
  const schedule = (seconds) => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    if (page.autoRefresh && seconds > 0) timer = setInterval(runRefresh, seconds * 1000);
  };
  const ctrl = refreshControl(schedule, runRefresh);
  const slot = document.getElementById('refresh-slot');
  if (slot) replace(slot, ctrl.el);
  const ctx = {params: new URLSearchParams(location.search)};
  try {
    const r = await page.render(root, ctx);
    refreshFn = r && typeof r.refresh === 'function' ? r.refresh : null;
  } catch (e) {
    replace(root, h('h1', null, page.title), notice('error', `This page failed to load: ${e.message}`));
  }
  schedule(ctrl.seconds);
  document.body.dataset.ready = '1';
}

main();

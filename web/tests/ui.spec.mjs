// Browser checks of vigil's web UI, run by tests/e2e/ui.sh against a running
// `vigil run` (it sets up the data: a scraped inference service, a firing and a
// pending alert, an anomaly rule, an SLO, a log pattern, the embedded alert
// manager). Plain node + playwright-core driving Debian's Chromium; no test
// runner.
//
//   VIGIL_URL=http://127.0.0.1:9090 ARTIFACTS=/tmp/shots node web/tests/ui.spec.mjs
//
// Environment: VIGIL_URL (required), ARTIFACTS (screenshots; default
// ./test-artifacts/ui), CHROMIUM (default /usr/bin/chromium).
// Exit status 0 when every check passed, 1 otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {chromium} from 'playwright-core';

const BASE = (process.env.VIGIL_URL || '').replace(/\/$/, '');
const ARTIFACTS = path.resolve(process.env.ARTIFACTS || 'test-artifacts/ui');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!BASE) {
  console.error('ui.spec: set VIGIL_URL');
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS, {recursive: true});

let failures = 0;
const ok = (msg) => console.error(`[ui.spec] ok: ${msg}`);
const bad = (msg) => {
  console.error(`[ui.spec] FAIL: ${msg}`);
  failures++;
};
function check(cond, msg, detail = '') {
  if (cond) ok(msg);
  else bad(detail ? `${msg}: ${detail}` : msg);
  return cond;
}

async function api(p, init) {
  const r = await fetch(BASE + p, init);
  const text = await r.text();
  return {status: r.status, body: text ? JSON.parse(text) : null};
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // Containers often have a 64 MB /dev/shm, too small for Chromium.
    '--disable-dev-shm-usage'],
  viewport: {width: 1400, height: 900},
});

// Problems seen by the current page: console errors, uncaught exceptions,
// failed requests and HTTP errors. `expected` lists URL parts whose 4xx
// answers a step provokes on purpose (and their console lines).
const problems = [];
let expected = [];
const isExpected = (text) => expected.some((e) => text.includes(e));
function watch(page) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location() && m.location().url ? ` (${m.location().url})` : '';
    const text = `console error: ${m.text()}${where}`;
    if (!(m.text().startsWith('Failed to load resource') && isExpected(where))) problems.push(text);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    const f = r.failure();
    // Navigations away abort pending fetches; that is not a failure.
    if (f && f.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.method()} ${r.url()} ${f ? f.errorText : ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !isExpected(r.url())) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

function takeProblems(label) {
  const p = problems.splice(0);
  check(p.length === 0, `${label}: no console errors or failed requests`, p.join('\n    '));
}

const page = await context.newPage();
watch(page);

async function open(p, label) {
  await page.goto(BASE + p, {waitUntil: 'load'});
  await page.waitForSelector('body[data-ready="1"]', {timeout: 20000});
  await page.waitForLoadState('networkidle', {timeout: 10000}).catch(() => {});
  check(true, `${label}: ${p} loaded`);
}

async function shot(name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  return file;
}

// Reloads `p` until `selector` is there (data arrive with the scrapes).
async function openUntil(p, label, selector, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await open(p, label);
    if (await page.$(selector)) return true;
    if (Date.now() > deadline) return false;
    await page.waitForTimeout(1000);
  }
}

// Non-blank pixels of the first uPlot canvas under `sel`.
async function canvasInk(sel) {
  return page.evaluate((s) => {
    const c = document.querySelector(`${s} canvas`);
    if (!c || !c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
    return n;
  }, sel);
}

try {
  // --- Overview ------------------------------------------------------------
  await openUntil('/', 'overview', '#kpi-throughput .chart[data-points]:not([data-points="0"])');
  const fps = await page.textContent('#kpi-throughput .kpi-value');
  check(fps && fps.trim() !== '—', 'overview: frames/s KPI has a value', fps);
  const errRate = await page.textContent('#kpi-error-rate .kpi-value');
  check(errRate && /%$/.test(errRate.trim()), 'overview: error-rate KPI is a percentage', errRate);
  const p95 = await page.textContent('#kpi-latency-p95 .kpi-value');
  check(p95 && /s$/.test(p95.trim()), 'overview: p95 latency KPI is a duration', p95);
  const gpu = await page.textContent('#kpi-gpu-util .kpi-value');
  check(gpu && /%$/.test(gpu.trim()), 'overview: GPU utilisation KPI is a percentage', gpu);
  const targets = await page.textContent('#targets');
  // The scraped exporter and vigil's own registry (in-process).
  check(/2 of 2 up/.test(targets) && targets.includes('in-process://vigil'),
        'overview: the scrape target and vigil itself are up', targets.slice(0, 200));
  const firing = await page.textContent('#firing');
  check(firing.includes('FramesFlowing'), 'overview: firing alert listed');
  check((await page.textContent('#health')).includes('healthy'), 'overview: health shown');
  takeProblems('overview');
  await shot('overview');

  // --- Query: chart and table ----------------------------------------------
  await open('/query', 'query');
  await page.fill('#expr', 'sum by (model, status) (rate(vision_frames_processed_total[30s]))');
  await page.fill('#range', '5m');
  await page.click('#execute');
  await page.waitForSelector('#query-chart canvas', {timeout: 15000});
  await page.waitForSelector('#query-table tbody tr', {timeout: 15000});
  await page.waitForTimeout(300);  // uPlot draws on the next frame
  const chart = await page.$eval('#query-chart', (e) => ({series: Number(e.dataset.series), points: Number(e.dataset.points)}));
  check(chart.series > 0 && chart.points > 0, 'query: the uPlot chart has data', JSON.stringify(chart));
  const ink = await canvasInk('#query-chart');
  check(ink > 500, 'query: the chart canvas is drawn', `${ink} non-blank pixels`);
  const rows = await page.$$eval('#query-table tbody tr', (trs) => trs.map((tr) => tr.textContent));
  check(rows.length >= 2 && rows.every((r) => /model=/.test(r) && /status=/.test(r)),
    'query: the table lists the series', rows.join(' | ').slice(0, 300));
  check(page.url().includes('expr='), 'query: the URL holds the expression', page.url());
  takeProblems('query');
  await shot('query');

  // A linked query runs on load.
  await open(`/query?${new URLSearchParams({expr: 'model:frames_processed:rate1m', range: '5m'})}`, 'query link');
  await page.waitForSelector('#query-chart canvas', {timeout: 15000});
  check(Number(await page.getAttribute('#query-chart', 'data-points')) > 0, 'query: a linked query draws its chart');
  takeProblems('query link');

  // A parse error: the API's position is shown and the cursor goes there.
  expected = ['/api/v1/query'];
  await page.fill('#expr', 'sum(rate(vision_frames_processed_total[5m])');
  await page.click('#execute');
  await page.waitForSelector('#query-error', {timeout: 15000});
  const err = await page.$eval('#query-error', (e) => ({text: e.textContent, line: e.dataset.line, col: e.dataset.col}));
  check(/parse error/.test(err.text) && err.line === '1' && Number(err.col) > 0,
    'query: a parse error shows its position', JSON.stringify(err));
  check(await page.$('#query-error pre.caret') !== null, 'query: the error marks the column');
  const sel = await page.$eval('#expr', (e) => e.selectionStart);
  check(sel === Number(err.col) - 1, 'query: the cursor moves to the error', `selectionStart ${sel}, col ${err.col}`);
  takeProblems('query error');
  await shot('query-error');
  expected = [];

  // --- Alerts: silence one from the page ------------------------------------
  const found = await openUntil('/alerts', 'alerts', '#firing .silence-btn[data-alertname="FramesFlowing"]');
  check(found, 'alerts: FramesFlowing is listed as firing with a Silence button');
  check(await page.$('#pending .alert-row[data-alertname="AlwaysPending"]') !== null, 'alerts: AlwaysPending is listed as pending');
  await shot('alerts');
  await page.click('#firing .silence-btn[data-alertname="FramesFlowing"]');
  await page.waitForSelector('#silence-dialog[open]', {timeout: 5000});
  await page.fill('#silence-duration', '1h');
  await page.fill('#silence-comment', 'ui e2e: silenced from the alerts page');
  await shot('alerts-silence-dialog');
  await page.click('#silence-submit');
  await page.waitForSelector('#silence-result', {timeout: 10000});
  const silenceId = await page.getAttribute('#silence-result', 'data-silence-id');
  check(!!silenceId, 'alerts: the page reports the new silence', silenceId);
  const silences = await api('/api/v2/silences');
  const s = (silences.body || []).find((x) => x.id === silenceId);
  check(s && s.status.state === 'active', 'alerts: the silence is in GET /api/v2/silences and active', JSON.stringify(s));
  check(s && s.matchers.some((m) => m.name === 'alertname' && m.value === 'FramesFlowing' && m.isEqual && !m.isRegex),
    'alerts: the silence matches the alert\'s labels', JSON.stringify(s && s.matchers));
  check(s && s.comment === 'ui e2e: silenced from the alerts page' && s.createdBy,
    'alerts: comment and author are kept', JSON.stringify(s));
  const silenced = await openUntil('/alerts', 'alerts', '#silenced .alert-row[data-alertname="FramesFlowing"]', 15000);
  check(silenced, 'alerts: FramesFlowing moved to silenced');
  takeProblems('alerts');
  await shot('alerts-silenced');

  // --- Silences: listed, then expired ---------------------------------------
  await open('/silences', 'silences');
  check(await page.$(`#silences-active tr[data-silence-id="${silenceId}"]`) !== null, 'silences: the new silence is active');
  await shot('silences');
  await page.click(`#silences-active tr[data-silence-id="${silenceId}"] .expire-btn`);
  await page.waitForSelector(`#silences-expired tr[data-silence-id="${silenceId}"]`, {timeout: 10000});
  const after = await api(`/api/v2/silence/${silenceId}`);
  check(after.body && after.body.status.state === 'expired', 'silences: Expire expires it', JSON.stringify(after.body && after.body.status));
  takeProblems('silences');
  await shot('silences-expired');

  // --- Rules -----------------------------------------------------------------
  await open('/rules', 'rules');
  for (const r of ['model:frames_processed:rate1m', 'FramesFlowing', 'AlwaysPending', 'queue', 'slo:objective:ratio']) {
    check(await page.$(`.rule-row[data-rule="${r}"]`) !== null, `rules: ${r} listed`);
  }
  const kind = await page.textContent('.rule-row[data-rule="queue"] .badge');
  check(kind === 'anomaly (robust_z)', 'rules: the anomaly rule is marked as one, with its detector', kind);
  const state = await page.textContent('.rule-row[data-rule="AlwaysPending"]');
  check(/pending/.test(state) && /ok/.test(state), 'rules: state and health shown', state);
  takeProblems('rules');
  await shot('rules');

  // --- Anomalies ---------------------------------------------------------------
  const scored = await openUntil('/anomalies?range=15m', 'anomalies', '#anomaly-detail .chart[data-points]:not([data-points="0"])', 20000);
  check(scored, 'anomalies: the queue rule\'s score is charted against its series');
  check(await page.$('#anomaly-rule option[value="queue"]') !== null, 'anomalies: the anomaly rule is offered');
  takeProblems('anomalies');
  await shot('anomalies');

  // --- Log patterns -------------------------------------------------------------
  const hits = await openUntil('/logs?range=15m', 'logs', '.pattern-row[data-pattern="AppErrors"]', 20000);
  check(hits, 'logs: the AppErrors pattern is listed');
  if (hits) {
    const row = await page.textContent('.pattern-row[data-pattern="AppErrors"]');
    check(/critical/.test(row), 'logs: severity shown', row);
  }
  const alerted = await openUntil('/logs?range=15m', 'logs', '.pattern-row[data-pattern="AppErrors"] .pattern-alert', 20000);
  check(alerted, 'logs: the pattern\'s alert is shown');
  if (alerted) {
    check(await page.$('.pattern-row[data-pattern="AppErrors"] code.logline') !== null, 'logs: the last matching line is shown');
    const row = await page.textContent('.pattern-row[data-pattern="AppErrors"]');
    check(row.includes('ERROR|CUDA error') && /active/.test(row),
      'logs: the regular expression and the alert state are shown', row);
  }
  takeProblems('logs');
  await shot('logs');

  // --- SLOs -------------------------------------------------------------------
  const slo = await openUntil('/slos?range=1h', 'slos', '.slo-row[data-slo="frames-availability"][data-budget-remaining]:not([data-budget-remaining=""])', 20000);
  check(slo, 'slos: the SLO is listed with its remaining error budget');
  const sloText = await page.textContent('#slo-list');
  check(/99%/.test(sloText) && /1d/.test(sloText), 'slos: objective and window shown', sloText.slice(0, 300));
  check(/FramesBudgetBurn/.test(sloText), 'slos: the burn-rate alert is shown');
  takeProblems('slos');
  await shot('slos');

  // --- Navigation and unknown pages ------------------------------------------------
  await open('/', 'overview');
  await page.click('#nav a[href="/rules"]');
  await page.waitForSelector('body[data-ready="1"]');
  check(new URL(page.url()).pathname === '/rules', 'navigation: the nav bar links the pages');
  takeProblems('navigation');
} catch (e) {
  bad(`unexpected: ${e.stack || e}`);
  await shot('failure').catch(() => {});
} finally {
  await context.close();
  fs.rmSync(userDataDir, {recursive: true, force: true});
}

console.error(`[ui.spec] screenshots in ${ARTIFACTS}`);
console.error(failures ? `[ui.spec] ${failures} check(s) failed` : '[ui.spec] all checks passed');
process.exit(failures ? 1 : 0);

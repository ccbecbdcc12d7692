// Overview: the inference KPIs (last 30 minutes), the alerts that are
// firing now, health and readiness, scrape targets.
import {am, health, prom, range, ready} from '../api.js';
import {fromMatrix, lineChart} from '../chart.js';
import {
  badge, fmtAgo, fmtNum, fmtPercent, fmtSeconds, h, labelChips, notice, queryLink, replace, table,
} from '../util.js';

export const title = 'Overview';
export const autoRefresh = true;

// Metric names of the ML metric set (include/vigil/ml/inference_metrics.h)
// carry the registry's prefix when it has one ("vision_frames_processed_
// total"), so the KPIs select by name suffix. GPU utilisation is the GPU
// collector's (docs/collectors.md).
const ANY = (suffix, extra = '') => `{__name__=~"(.+_)?${suffix}"${extra}}`;
const FRAMES = ANY('frames_processed_total');

export const KPIS = [
  {
    id: 'throughput',
    title: 'Frames / s',
    expr: `sum(rate(${FRAMES}[1m]))`,
    format: (v) => fmtNum(v),
  },
  {
    id: 'error-rate',
    title: 'Error rate',
    expr: `(sum(rate(${ANY('frames_processed_total', ',status!="success"')}[5m])) or vector(0))` +
          ` / sum(rate(${FRAMES}[5m]))`,
    format: (v) => fmtPercent(v),
  },
  {
    id: 'latency-p95',
    title: 'p95 detection latency',
    expr: `histogram_quantile(0.95, sum by (le) (rate(${ANY('detection_latency_seconds_bucket')}[5m])))`,
    format: (v) => fmtSeconds(v),
  },
  {
    id: 'gpu-util',
    title: 'GPU utilisation',
    expr: 'avg(nvidia_gpu_utilization_percent)',
    format: (v) => `${fmtNum(v)}%`,
  },
];

const KPI_RANGE_S = 1800;
const KPI_STEP_S = 15;

function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

async function kpiTile(k, end) {
  const start = end - KPI_RANGE_S;
  const link = queryLink(k.expr, '30m');
  const head = h('div', {class: 'kpi-head'}, h('a', {href: link, title: k.expr}, k.title));
  try {
    const data = await range(k.expr, start, end, KPI_STEP_S);
    const {xs, series} = fromMatrix(data.result, start, end, KPI_STEP_S, () => k.title);
    const v = series.length ? lastValue(series[0].values) : null;
    return h('div', {class: 'kpi', id: `kpi-${k.id}`},
      head,
      h('div', {class: 'kpi-value'}, v === null ? '—' : k.format(v)),
      series.length
        ? lineChart({xs, series: series.slice(0, 1), height: 50, spark: true, fill: true})
        : h('div', {class: 'kpi-empty'}, 'no data in the last 30 minutes'));
  } catch (e) {
    return h('div', {class: 'kpi', id: `kpi-${k.id}`}, head,
      h('div', {class: 'kpi-value'}, '—'), h('div', {class: 'kpi-empty'}, e.message));
  }
}

async function healthCard() {
  const [hl, rd, b] = await Promise.allSettled([health(), ready(), prom('status/buildinfo')]);
  const rows = [];
  if (hl.status === 'fulfilled') {
    const body = hl.value.body;
    rows.push(['health', badge(hl.value.ok ? 'ok' : 'err', body.status || (hl.value.ok ? 'healthy' : 'unhealthy'))]);
    for (const [name, c] of Object.entries(body.checks || {})) {
      rows.push([`check ${name}`, h('span', null, badge(c.healthy ? 'ok' : 'err', c.healthy ? 'ok' : 'failing'), ' ', c.details || '')]);
    }
    if (body.uptime_seconds !== undefined) rows.push(['uptime', fmtSeconds(body.uptime_seconds)]);
  } else {
    rows.push(['health', badge('err', hl.reason.message)]);
  }
  rows.push(['ready', rd.status === 'fulfilled'
    ? badge(rd.value.ok ? 'ok' : 'err', rd.value.ok ? 'ready' : rd.value.text || 'not ready')
    : badge('err', rd.reason.message)]);
  if (b.status === 'fulfilled') {
    rows.push(['version', `${b.value.version || '?'}${b.value.revision ? ` (${b.value.revision})` : ''}`]);
  }
  return h('section', {class: 'card', id: 'health'}, h('h2', null, 'Health'),
    h('dl', {class: 'kv'}, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
}

async function targetsCard() {
  const card = h('section', {class: 'card', id: 'targets'}, h('h2', null, 'Targets'));
  try {
    const data = await prom('targets', {state: 'active'});
    const ts = data.activeTargets || [];
    const up = ts.filter((t) => t.health === 'up').length;
    card.append(h('p', {class: 'summary'}, `${up} of ${ts.length} up`));
    card.append(table(['job', 'endpoint', 'state', 'last scrape', 'duration', 'error'],
      ts.map((t) => [
        t.labels.job || t.scrapePool,
        h('a', {href: t.scrapeUrl, rel: 'noopener'}, t.scrapeUrl),
        badge(t.health),
        fmtAgo(t.lastScrape),
        fmtSeconds(t.lastScrapeDuration),
        t.lastError ? h('span', {class: 'error-text'}, t.lastError) : '',
      ])));
  } catch (e) {
    card.append(notice('error', e.message));
  }
  return card;
}

async function alertsCard() {
  const card = h('section', {class: 'card', id: 'firing'}, h('h2', null,
    h('a', {href: '/alerts'}, 'Firing alerts')));
  try {
    const [v1, v2] = await Promise.all([prom('alerts'), am('alerts', {params: {silenced: false, inhibited: false}})]);
    const firing = v1.alerts.filter((a) => a.state === 'firing');
    const pending = v1.alerts.filter((a) => a.state === 'pending').length;
    // The alert manager also holds alerts that no rule made (log patterns,
    // other senders); rule alerts reach it with external labels added.
    const rows = firing.map((a) => [a.labels.alertname, labelChips(a.labels, ['alertname']),
      fmtAgo(a.activeAt), 'rule']);
    if (v2 !== null) {
      const covered = (l) => firing.some((a) => Object.entries(a.labels).every(([k, v]) => l[k] === v));
      for (const a of v2) {
        if (a.status.state !== 'active' || covered(a.labels)) continue;
        rows.push([a.labels.alertname, labelChips(a.labels, ['alertname']), fmtAgo(a.startsAt),
          'alert manager']);
      }
    }
    card.append(h('p', {class: 'summary'}, `${rows.length} firing, ${pending} pending`));
    card.append(table(['alert', 'labels', 'since', 'source'], rows));
  } catch (e) {
    card.append(notice('error', e.message));
  }
  return card;
}

export async function render(root) {
  const kpis = h('section', {class: 'kpis', id: 'kpis'});
  const firing = h('div', {id: 'firing-slot'});
  const cards = h('div', {class: 'grid2'});
  replace(root, h('h1', null, 'Overview'), kpis, firing, cards);
  const load = async () => {
    const end = Math.floor(Date.now() / 1000);
    const [tiles, hc, tc, ac] = await Promise.all([
      Promise.all(KPIS.map((k) => kpiTile(k, end))), healthCard(), targetsCard(), alertsCard(),
    ]);
    replace(kpis, tiles);
    replace(firing, ac);
    replace(cards, hc, tc);
  };
  await load();
  return {refresh: load};
}

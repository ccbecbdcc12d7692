// The APIs vigil serves, as the UI uses them: Prometheus' /api/v1 (answers
// wrapped in {"status","data"}), the embedded alert manager's /api/v2
// (plain JSON; absent -- 404 -- when alertmanager: is not configured),
// /health and /ready. Everything is same-origin and relative to "/".

// A failed call: HTTP status, Prometheus' errorType (bad_data, execution,
// ...) or "http", and the server's message.
export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
  }

  // "1:7" positions of PromQL parse errors ("invalid parameter \"query\":
  // 1:7: parse error: ..."): {line, col} (1-based) or null.
  position() {
    const m = /(?:^|: )(\d+):(\d+): parse error/.exec(this.message);
    return m ? {line: Number(m[1]), col: Number(m[2])} : null;
  }
}

async function send(method, url, {form, json} = {}) {
  const init = {method, headers: {Accept: 'application/json'}};
  if (form) {
    init.body = new URLSearchParams(form);
    init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'network', `${url}: ${e.message}`);
  }
  const text = await res.text();
  const type = res.headers.get('Content-Type') || '';
  let body = text;
  if (type.includes('json') && text !== '') {
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ApiError(res.status, 'http', `${url}: malformed JSON (${e.message})`);
    }
  }
  return {res, body};
}

function query(params) {
  const out = [];
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push([k, String(x)]);
  }
  return out;
}

// GET (or, for query endpoints, form POST) /api/v1/<path>; resolves to
// `data`, rejects with ApiError.
export async function prom(path, params, {post = false} = {}) {
  const pairs = query(params);
  const url = `/api/v1/${path}`;
  const {res, body} = post
    ? await send('POST', url, {form: pairs})
    : await send('GET', pairs.length ? `${url}?${new URLSearchParams(pairs)}` : url);
  if (body && typeof body === 'object' && body.status === 'success') return body.data;
  if (body && typeof body === 'object' && body.status === 'error') {
    throw new ApiError(res.status, body.errorType || 'http', body.error || 'error');
  }
  throw new ApiError(res.status, 'http', `${url}: HTTP ${res.status} ${String(body).slice(0, 200)}`);
}

export const instant = (expr, time) => prom('query', {query: expr, time}, {post: true});
export const range = (expr, start, end, step) =>
  prom('query_range', {query: expr, start, end, step}, {post: true});

// Whether the embedded alert manager answers; learnt from the first call.
let amState = 'unknown';  // 'unknown' | 'on' | 'off'

export function alertmanagerKnownOff() {
  return amState === 'off';
}

// /api/v2/<path> of the embedded alert manager. Resolves to the JSON
// answer, or to `null` when vigil runs without one (404 on the route).
export async function am(path, {method = 'GET', params, json} = {}) {
  if (amState === 'off') return null;
  const pairs = query(params);
  const url = `/api/v2/${path}` + (pairs.length ? `?${new URLSearchParams(pairs)}` : '');
  const {res, body} = await send(method, url, {json});
  if (res.status === 404 && typeof body === 'string' && body.startsWith('not found: /api/v2/')) {
    if (amState === 'unknown') amState = 'off';
    return null;
  }
  if (!res.ok) {
    const msg = typeof body === 'string' ? body : (body && body.message) || JSON.stringify(body);
    throw new ApiError(res.status, 'http', String(msg).trim());
  }
  amState = 'on';
  return body;
}

// /health: {status, checks, uptime_seconds} (200 or 503, both JSON).
export async function health() {
  const {res, body} = await send('GET', '/health');
  return {ok: res.ok, body: typeof body === 'object' ? body : {status: String(body).trim()}};
}

export async function ready() {
  const {res, body} = await send('GET', '/ready');
  return {ok: res.ok, text: String(body).trim()};
}

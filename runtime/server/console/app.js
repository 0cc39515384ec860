// The triage operator console. Plain JavaScript, no framework: every value
// that came from the API or a person is put into the page with textContent
// (never parsed as markup), and the page only shows what the token's scopes allow.
'use strict';

const TOKEN_KEY = 'triage.token';
const AGENT_KEY = 'triage.agent';
const state = { me: null, timer: null, cursor: null, query: '', queues: [] };

const $ = (id) => document.getElementById(id);

// el('td', {class: 'x'}, 'text', childNode, ...): strings become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'onclick') e.addEventListener('click', v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === undefined || c === null ? '' : String(c)));
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

class ApiError extends Error {
  constructor(status, body) {
    let msg = body && body.error ? body.error : 'the server answered ' + status;
    if (body && body.field) msg += ' (field: ' + body.field + ')';
    super(msg);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers['Authorization'] = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { error: 'cannot reach the daemon: ' + e.message });
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    if (res.status === 401 && token) signOut('The token was refused: ' + (data && data.error ? data.error : 'unauthorized'));
    throw new ApiError(res.status, data);
  }
  return data;
}

function can(scope) {
  const s = state.me ? state.me.scopes : [];
  return s.includes('admin') || s.includes(scope);
}

function actingAgent() {
  if (state.me && state.me.agent) return state.me.agent;
  return ($('acting').value || '').trim();
}

// ---- sign in ----

function signOut(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  clearInterval(state.timer);
  $('nav').hidden = true;
  $('who').textContent = '';
  for (const p of document.querySelectorAll('.page')) p.hidden = true;
  $('signin').hidden = false;
  showError(why || '');
}

async function start() {
  const hadToken = !!sessionStorage.getItem(TOKEN_KEY);
  try {
    state.me = await api('GET', '/v1/whoami');
  } catch (e) {
    if (e.status === 401) {
      // A refused token has already signed out, saying why.
      if (!hadToken) signOut('');
      return;
    }
    showError('Cannot start: ' + e.message);
    return;
  }
  showError('');
  $('signin').hidden = true;
  $('nav').hidden = false;
  const who = $('who');
  who.textContent = '';
  if (state.me.auth) {
    who.append(el('span', { id: 'who-name' }, 'Signed in as ' + state.me.name + ' (' + state.me.scopes.join(', ') + ')'));
    who.append(el('button', { id: 'signout', onclick: () => signOut('') }, 'Sign out'));
  } else {
    who.append(el('span', { id: 'who-name' }, 'Authentication is off: full access'));
  }
  for (const a of document.querySelectorAll('nav a')) a.hidden = !can('read');
  if (!can('read')) {
    showError('This token has no read scope: the console has nothing it may show.');
    return;
  }
  if (state.me.agent) { $('acting').value = state.me.agent; $('acting').disabled = true; }
  else $('acting').value = sessionStorage.getItem(AGENT_KEY) || '';
  route();
}

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  start();
});

// ---- pages ----

function route() {
  if (!state.me) return;
  clearInterval(state.timer);
  showError('');
  const hash = decodeURIComponent(location.hash.slice(1)) || 'overview';
  const [page, ...rest] = hash.split('/');
  const arg = rest.join('/');
  for (const p of document.querySelectorAll('.page')) p.hidden = true;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.dataset.page === page || (page === 'message' && a.dataset.page === 'messages'));
  const pages = { overview: showOverview, messages: showMessages, message: showMessage, alerts: showAlerts, playground: showPlayground, maturity: showMaturity };
  const show = pages[page] || showOverview;
  $('page-' + (pages[page] ? page : 'overview')).hidden = false;
  show(arg).catch((e) => showError(e.message));
}
window.addEventListener('hashchange', route);

function age(seconds) {
  if (!seconds) return '–';
  if (seconds < 90) return Math.round(seconds) + ' s';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min';
  return (seconds / 3600).toFixed(1) + ' h';
}

function fill(tbody, rows) {
  tbody.textContent = '';
  for (const r of rows) tbody.append(r);
}

function barChart(container, values, labels) {
  container.textContent = '';
  const w = 600, h = 100, n = Math.max(values.length, 1), max = Math.max(1, ...values);
  const s = svg('svg', { viewBox: `0 0 ${w} ${h + 2}`, preserveAspectRatio: 'none', role: 'img' });
  s.append(Object.assign(svg('title'), { textContent: 'per minute, most recent at the right' }));
  values.forEach((v, i) => {
    const bh = v ? Math.max(2, (v / max) * h) : 0;
    const r = svg('rect', { x: (i * w) / n + 1, y: h - bh, width: Math.max(1, w / n - 2), height: bh });
    r.append(Object.assign(svg('title'), { textContent: (labels[i] || '') + ': ' + v }));
    s.append(r);
  });
  s.append(svg('line', { x1: 0, y1: h, x2: w, y2: h, stroke: '#8892a0' }));
  container.append(s, el('p', { class: 'muted caption' }, 'per minute, oldest at the left; highest ' + max));
}

async function refreshOverview() {
  const [queues, arrivals, alerts] = await Promise.all([
    api('GET', '/v1/queues'), api('GET', '/v1/arrivals?minutes=15'), api('GET', '/v1/alerts?state=open&limit=100')]);
  state.queues = queues.queues.map((q) => q.name);
  let open = 0, claimed = 0, risk = 0;
  fill($('queues').tBodies[0], queues.queues.map((q) => {
    open += q.depth; claimed += q.claimed;
    const atRisk = q.sla_seconds > 0 && q.oldest_age_seconds >= 0.8 * q.sla_seconds;
    if (atRisk) risk++;
    return el('tr', { 'data-queue': q.name },
      el('td', {}, el('a', { href: '#messages/queue=' + encodeURIComponent(q.name) }, q.name)),
      el('td', { class: 'depth' }, q.depth), el('td', {}, q.claimed), el('td', {}, q.assigned),
      el('td', {}, age(q.oldest_age_seconds)), el('td', {}, q.sla_seconds ? age(q.sla_seconds) : '–'),
      el('td', { class: atRisk ? 'risk' : 'okay' }, atRisk ? 'SLA at risk' : 'ok'));
  }));
  $('stat-open').textContent = open;
  $('stat-claimed').textContent = claimed;
  $('stat-risk').textContent = risk;
  $('stat-alerts').textContent = alerts.alerts.length;
  barChart($('arrivals-chart'), arrivals.minutes.map((m) => m.total), arrivals.minutes.map((m) => m.start));
  const minutes = arrivals.minutes.length;
  fill($('arrivals').tBodies[0], arrivals.totals.map((t) =>
    el('tr', {}, el('td', {}, t.label), el('td', {}, t.channel), el('td', {}, t.count), el('td', {}, (t.count / minutes).toFixed(2)))));
  $('overview-updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

async function showOverview() {
  await refreshOverview();
  state.timer = setInterval(() => refreshOverview().then(() => showError(''), (e) => showError(e.message)), 3000);
}

// ---- messages ----

async function showMessages(arg) {
  const form = $('search-form');
  if (!state.queues.length) state.queues = (await api('GET', '/v1/queues')).queues.map((q) => q.name);
  const sel = form.elements.queue;
  const keep = sel.value;
  sel.textContent = '';
  sel.append(el('option', { value: '' }, 'any'));
  for (const q of state.queues) sel.append(el('option', {}, q));
  sel.value = keep;
  if (arg) {
    // A link with filters (#messages/queue=support) starts from a clean form.
    form.reset();
    sel.value = '';
    const params = new URLSearchParams(arg);
    for (const [k, v] of params) if (form.elements[k]) form.elements[k].value = v;
  }
  await search(false);
}

function searchQuery() {
  const form = $('search-form');
  const params = new URLSearchParams();
  for (const name of ['queue', 'label', 'status', 'review', 'brand', 'channel', 'lang', 'q']) {
    const v = form.elements[name].value.trim();
    if (v) params.set(name, v);
  }
  return params;
}

async function search(more) {
  const params = more ? new URLSearchParams(state.query) : searchQuery();
  state.query = params.toString();
  params.set('limit', '50');
  if (more && state.cursor) params.set('cursor', state.cursor);
  const tbody = $('results').tBodies[0];
  if (!more) { tbody.textContent = ''; $('search-info').textContent = ''; $('search-more').hidden = true; }
  const r = await api('GET', '/v1/search?' + params.toString());
  for (const m of r.messages) {
    tbody.append(el('tr', { 'data-id': m.id },
      el('td', {}, el('a', { href: '#message/' + encodeURIComponent(m.id) }, m.id)),
      el('td', {}, m.label + (m.review ? ' (review)' : '')), el('td', {}, m.queue), el('td', {}, m.status),
      el('td', {}, m.channel), el('td', { class: 'text', dir: 'auto' }, m.text)));
  }
  state.cursor = r.next_cursor;
  $('search-more').hidden = !r.next_cursor;
  $('search-info').textContent = tbody.rows.length + ' shown; ' + r.scanned + ' stored messages examined' +
    (r.next_cursor ? ' (more to examine: Next page)' : ' (end of the store)');
}

$('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  showError('');
  search(false).catch((e) => showError('Search failed: ' + e.message));
});
$('search-more').addEventListener('click', () => search(true).catch((e) => showError('Search failed: ' + e.message)));

function fact(dl, name, value) {
  dl.append(el('dt', {}, name), el('dd', {}, value));
}

async function showMessage(id) {
  state.messageId = id;
  const m = await api('GET', '/v1/messages/' + encodeURIComponent(id));
  $('msg-id').textContent = id;
  const msg = m.message || {};
  const d = m.decision || {};
  $('msg-text').textContent = msg.text || (msg.type === 'crisis_alert' ? 'Crisis alert on ' + msg.topic : '');
  const facts = $('msg-facts');
  facts.textContent = '';
  fact(facts, 'Queue', m.state.queue);
  fact(facts, 'Status', m.state.status + (m.state.agent ? ' (' + m.state.agent + ')' : ''));
  fact(facts, 'Priority', m.state.priority);
  fact(facts, 'Label', d.label || '–');
  fact(facts, 'Confidence', d.confidence === undefined ? '–' : d.confidence + (d.review ? ' — needs review' : ''));
  if (d.model) fact(facts, 'Model', d.model.label + ' p=' + d.model.p + ' (text known ' + Math.round(d.model.coverage * 100) + ' %)');
  fact(facts, 'Channel', msg.channel || '–');
  if (msg.brand) fact(facts, 'Brand', msg.brand);
  fact(facts, 'Language', d.lang || msg.lang || '–');
  if (msg.author && msg.author.handle) fact(facts, 'Author', msg.author.handle);
  if (d.alert) fact(facts, 'Crisis alert', d.alert);
  fill($('msg-rules'), (d.rules || []).map((r) => el('li', {}, r)));
  if (!(d.rules || []).length) $('msg-rules').append(el('li', { class: 'muted' }, 'none'));
  fill($('msg-scores').tBodies[0], Object.entries(d.scores || {}).map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v))));
  fill($('msg-events'), (m.events || []).map((e) => el('li', {},
    e.type + ' by ' + e.agent + ' at ' + new Date(e.at_ms).toISOString() +
    (e.to_queue ? ' → ' + e.to_queue : '') + (e.note ? ' — ' + e.note : ''))));
  if (!(m.events || []).length) $('msg-events').append(el('li', { class: 'muted' }, 'no events yet'));
  $('msg-actions').hidden = !can('agent');
  const sel = $('reroute-queue');
  if (!state.queues.length) state.queues = (await api('GET', '/v1/queues')).queues.map((q) => q.name);
  sel.textContent = '';
  for (const q of state.queues) if (q !== m.state.queue) sel.append(el('option', {}, q));
  $('act-result').textContent = '';
}

async function act(what, fn) {
  const agent = actingAgent();
  if (!agent) { showError('Enter the agent you act as.'); return; }
  sessionStorage.setItem(AGENT_KEY, agent);
  showError('');
  try {
    await fn(agent);
    $('act-result').textContent = what + ': done';
    await showMessage(state.messageId);
    $('act-result').textContent = what + ': done';
  } catch (e) {
    showError(what + ' failed: ' + e.message);
  }
}

$('act-claim').addEventListener('click', () => act('Claim', async (agent) => {
  const queue = (await api('GET', '/v1/messages/' + encodeURIComponent(state.messageId))).state.queue;
  await api('POST', '/v1/queues/' + encodeURIComponent(queue) + '/claim', { agent, id: state.messageId });
}));
$('act-reply').addEventListener('click', () => act('Reply recorded', (agent) =>
  api('POST', '/v1/messages/' + encodeURIComponent(state.messageId) + '/events', { type: 'replied', agent })));
$('act-resolve').addEventListener('click', () => act('Resolve', (agent) =>
  api('POST', '/v1/messages/' + encodeURIComponent(state.messageId) + '/events', { type: 'resolved', agent })));
$('reroute-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act('Reroute', async (agent) => {
    await api('POST', '/v1/messages/' + encodeURIComponent(state.messageId) + '/events',
      { type: 'rerouted', agent, to_queue: $('reroute-queue').value, note: $('reroute-reason').value });
    $('reroute-reason').value = '';
  });
});

// ---- alerts ----

async function showAlerts() {
  const box = $('alerts');
  const r = await api('GET', '/v1/alerts?limit=20');
  box.textContent = '';
  if (!r.alerts.length) box.append(el('p', { class: 'muted' }, 'No crisis alerts.'));
  for (const a of r.alerts) {
    const open = a.closed_at === null;
    const chart = el('div', { class: 'chart' });
    const claim = el('button', { class: 'claim-alert' }, 'Claim this alert');
    const result = el('span', { class: 'muted', role: 'status' });
    claim.hidden = !can('agent') || !open;
    claim.addEventListener('click', async () => {
      const agent = actingAgent() || (state.me.auth ? '' : 'console');
      if (!agent) { showError('Enter the agent you act as (on a message page) first.'); return; }
      try {
        const item = await api('GET', '/v1/messages/' + encodeURIComponent(a.alert));
        await api('POST', '/v1/queues/' + encodeURIComponent(item.state.queue) + '/claim', { agent, id: a.alert });
        result.textContent = ' claimed by ' + agent;
        claim.disabled = true;
      } catch (e) { showError('Claim failed: ' + e.message); }
    });
    box.append(el('article', { class: 'alert' + (open ? '' : ' closed'), 'data-alert': a.alert },
      el('h3', { dir: 'auto' }, (open ? 'OPEN: ' : 'closed: ') + a.topic),
      el('p', {}, 'Opened ' + a.opened_at + (open ? '' : ', closed ' + a.closed_at) + ' · ' + a.messages +
        ' messages · ' + a.window_count + ' in the window (expected ' + a.expected + ')'),
      chart,
      el('p', {}, 'First message: ', el('a', { href: '#message/' + encodeURIComponent(a.first_message) }, a.first_message),
        ' · ', el('a', { href: '#message/' + encodeURIComponent(a.alert) }, 'alert item')),
      el('ul', { class: 'first-messages' }),
      el('p', {}, claim, result)));
    alertDetail(a, chart, box.lastChild.querySelector('.first-messages')).catch((e) => showError(e.message));
  }
}

// Messages per minute of the alert's messages (by their own time), and the first few.
async function alertDetail(a, chart, list) {
  const r = await api('GET', '/v1/search?alert=' + encodeURIComponent(a.alert) + '&limit=200&scan=100000');
  r.messages = r.messages.filter((m) => m.id !== a.alert);  // the alert's own queue item
  const times = r.messages.map((m) => Date.parse(m.created_at || '') || m.received_ms).sort((x, y) => x - y);
  if (!times.length) { chart.append(el('p', { class: 'muted' }, 'no messages found')); return; }
  const first = Math.floor(times[0] / 60000), last = Math.floor(times[times.length - 1] / 60000);
  const counts = new Array(Math.min(120, last - first + 1)).fill(0);
  for (const t of times) counts[Math.min(counts.length - 1, Math.floor(t / 60000) - first)]++;
  barChart(chart, counts, counts.map((_, i) => new Date((first + i) * 60000).toISOString()));
  const sorted = r.messages.slice().sort((x, y) => (Date.parse(x.created_at) || 0) - (Date.parse(y.created_at) || 0));
  for (const m of sorted.slice(0, 3))
    list.append(el('li', { dir: 'auto' }, el('a', { href: '#message/' + encodeURIComponent(m.id) }, m.id), ': ' + m.text));
}

// ---- playground ----

async function showPlayground() {}

$('explain-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  showError('');
  try {
    const e = await api('POST', '/v1/explain', {
      text: $('explain-text').value, lang: $('explain-lang').value.trim(),
      channel: $('explain-channel').value, kind: $('explain-kind').value });
    const s = $('explain-summary');
    s.textContent = '';
    fact(s, 'Label', e.label);
    fact(s, 'Route', e.queue + ' (' + e.priority + ', ' + (e.route || 'default route') + ')');
    fact(s, 'Confidence', e.confidence + (e.review ? ' — a person should look' : ''));
    fact(s, 'Language', e.lang + (e.lang_detected ? ' (detected)' : ''));
    fact(s, 'Rules alone', e.rules_label + (e.forced ? ' (forced by a force: rule)' : ''));
    if (e.crisis_held_back) fact(s, 'Crisis', 'held back: no crisis rule fired');
    if (e.model) fact(s, 'Model', e.model.label + ' — ' + e.model.description);
    fill($('explain-fired').tBodies[0], e.fired.map((r) => el('tr', {},
      el('td', {}, r.id), el('td', {}, r.label), el('td', {}, (r.weight > 0 ? '+' : '') + r.weight + (r.force ? ' force' : '')),
      el('td', {}, r.file.split('/').pop() + ':' + r.line))));
    if (!e.fired.length) $('explain-fired').tBodies[0].append(el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'no rule fired')));
    fill($('explain-matched').tBodies[0], e.matched.map((p) => el('tr', {}, el('td', {}, el('code', {}, p.pattern)), el('td', {}, p.rules.join(', ')))));
    fill($('explain-scores').tBodies[0], Object.entries(e.scores).map(([k, v]) => el('tr', {},
      el('td', {}, k), el('td', {}, v), el('td', {}, e.model ? e.model.probabilities[k] : '–'))));
    $('explain-normalized').textContent = e.normalized;
    $('explain-out').hidden = false;
  } catch (err) {
    showError('Explain failed: ' + err.message);
  }
});

// ---- maturity ----

async function showMaturity() {
  if (!$('maturity-to').value) {
    const now = new Date();
    $('maturity-to').value = now.toISOString().slice(0, 10);
    $('maturity-from').value = new Date(now - 28 * 86400000).toISOString().slice(0, 10);
  }
  await loadMaturity();
}

function valueText(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

async function loadMaturity() {
  const out = $('maturity-out');
  const q = new URLSearchParams();
  if ($('maturity-from').value) q.set('from', $('maturity-from').value);
  if ($('maturity-to').value) q.set('to', $('maturity-to').value);
  const r = await api('GET', '/v1/maturity?' + q.toString());
  out.textContent = '';
  const overall = r.overall || {};
  const dl = el('dl', { class: 'facts', id: 'maturity-overall' });
  for (const [k, v] of Object.entries(overall)) fact(dl, k, valueText(v));
  out.append(dl);
  if (r.recommendation) out.append(el('p', { id: 'maturity-recommendation' }, r.recommendation));
  const table = (rows, id) => {
    if (!rows || !rows.length) return el('p', { class: 'muted' }, 'no data');
    const keys = Object.keys(rows[0]);
    return el('div', { class: 'scroll' }, el('table', { id },
      el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', {}, k)))),
      el('tbody', {}, ...rows.map((row) => el('tr', {}, ...keys.map((k) => el('td', {}, valueText(row[k]))))))));
  };
  out.append(el('h3', {}, 'Inputs'), table(r.inputs, 'maturity-inputs'));
  out.append(el('h3', {}, 'Week by week'), table(r.weekly, 'maturity-weekly'));
}

$('maturity-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  showError('');
  loadMaturity().catch((e) => showError('Maturity failed: ' + e.message));
});

start();

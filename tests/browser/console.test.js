// The operator console end to end: a real `triage serve` (temp data dir, an
// auth config with tokens made by `triage token new`) and Debian's headless
// Chromium driven by playwright-core. Nothing is downloaded: the browser is
// /usr/bin/chromium and playwright-core comes from `npm ci` (scripts/setup.sh).
//
//   node console.test.js TRIAGE_BINARY
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('console test: playwright-core is not installed in tests/browser/node_modules: run scripts/setup.sh (it runs npm ci there)');
  process.exit(1);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  console.error(`console test: no Chromium at ${CHROMIUM}: run scripts/setup.sh (it installs Debian's chromium)`);
  process.exit(1);
}

const triage = process.argv[2];
if (!triage) {
  console.error('usage: node console.test.js TRIAGE_BINARY');
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'console-'));
let daemon = null;
let browser = null;

function newToken(name, ...scopes) {
  const args = ['token', 'new', '--name', name];
  for (const s of scopes) args.push('--scope', s);
  const out = execFileSync(triage, args, { encoding: 'utf8' });
  const token = /^token: (\S+)$/m.exec(out)[1];
  const entry = out.slice(out.search(/^ {2}- name:/m));
  return { token, entry };
}

function startDaemon(entries) {
  const config = path.join(tmp, 'serve.yaml');
  fs.writeFileSync(config, ['listen: 127.0.0.1:0', `data_dir: ${tmp}/data`, `cache_dir: ${tmp}/cache`,
    `audit_log: ${tmp}/audit.log`, 'auth:', ...entries.map((e) => e.trimEnd())].join('\n') + '\n');
  daemon = spawn(triage, ['serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    daemon.stderr.on('data', (d) => {
      log += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    daemon.on('exit', (code) => reject(new Error(`triage serve exited with ${code}:\n${log}`)));
  });
}

// PNG -> {width, height, distinct colours}: a screenshot that is blank has one.
function pngColours(buf) {
  assert.equal(buf.readUInt32BE(0), 0x89504e47, 'a PNG');
  let off = 8, width = 0, height = 0, bpp = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      assert.equal(data[8], 8, '8-bit channels');
      bpp = { 2: 3, 6: 4 }[data[9]];
      assert.ok(bpp, 'RGB or RGBA');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const prev = Buffer.alloc(stride), cur = Buffer.alloc(stride);
  const colours = new Set();
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) { const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      cur[i] = (line[i] + p) & 0xff;
    }
    if (y % 4 === 0) for (let x = 0; x < width; x += 3) colours.add(cur.readUIntBE(x * bpp, 3));
    cur.copy(prev);
  }
  return { width, height, colours: colours.size };
}

const at = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const msg = (id, text, extra = {}) => JSON.stringify({ id, channel: 'x', kind: 'public', text, lang: 'en', ...extra });

async function main() {
  const admin = newToken('desk-lead', 'admin');
  const viewer = newToken('viewer', 'read');
  const port = await startDaemon([admin.entry, viewer.entry]);
  const base = `http://127.0.0.1:${port}`;
  const post = async (p, body) => {
    const r = await fetch(base + p, { method: 'POST', body, headers: { Authorization: 'Bearer ' + admin.token } });
    const text = await r.text();
    assert.ok(r.status < 300, `${p}: ${r.status} ${text}`);
    return JSON.parse(text);
  };

  // The files: types, a strict CSP, revalidation.
  const index = await fetch(base + '/console');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
  assert.doesNotMatch(index.headers.get('content-security-policy'), /unsafe-inline/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const js = await fetch(base + '/console/app.js');
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const again = await fetch(base + '/console/app.js', { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(base + '/console/nope.js')).status, 404);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    // Refused requests are logged by the browser; the page's own errors and
    // any Content-Security-Policy violation are what must not happen.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push('console: ' + m.text());
  });

  // Sign in: a wrong token first, then the right one.
  await page.goto(base + '/console');
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.fill('#token', 'trg_not-a-real-token');
  await page.click('#signin button');
  await page.locator('#error').filter({ hasText: 'unknown token' }).waitFor();
  assert.ok(await page.locator('#signin').isVisible(), 'still signed out');
  await page.fill('#token', admin.token);
  await page.click('#signin button');
  await page.locator('#who-name').filter({ hasText: 'desk-lead' }).waitFor();
  assert.ok(await page.locator('#error').isHidden(), 'the error is gone once signed in');

  // The overview updates after an ingest.
  await page.locator('#queues tbody tr').first().waitFor();
  const depth = async () => Number((await page.locator('#queues tr[data-queue="support"] .depth').textContent()) || 0);
  const before = await page.locator('#queues tr[data-queue="support"]').count() ? await depth() : 0;
  const lines = [];
  for (let i = 0; i < 5; i++) lines.push(msg('s:' + i, `refund please, my order 1234${i} never arrived`));
  lines.push(msg('ar:1', 'أين طلبي؟ لم يصل الطلب رقم 5521 بعد', { lang: 'ar' }));
  await post('/v1/messages', lines.join('\n'));
  await page.waitForFunction((n) => {
    const cell = document.querySelector('#queues tr[data-queue="support"] .depth');
    return cell && Number(cell.textContent) >= n + 5;
  }, before, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelectorAll('#arrivals tbody tr').length > 0, null, { timeout: 15000 });
  assert.ok(await page.locator('#arrivals-chart svg rect').count() > 0, 'an arrivals chart');

  // Screenshots at two widths, checked to hold a page, not a blank.
  for (const [w, h] of [[1280, 800], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(200);
    const shot = pngColours(await page.screenshot({ fullPage: false }));
    assert.equal(shot.width, w);
    assert.ok(shot.colours >= 8, `the ${w} px screenshot has ${shot.colours} colours: blank?`);
    const layout = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      queues: document.querySelector('#queues').getBoundingClientRect().width,
      cards: document.querySelector('.cards').getBoundingClientRect().height,
    }));
    assert.ok(layout.overflow <= 1, `no sideways scrolling at ${w} px (overflow ${layout.overflow})`);
    assert.ok(layout.queues > 0 && layout.cards > 0, 'key elements have a size');
    fs.writeFileSync(path.join(tmp, `overview-${w}.png`), await page.screenshot());
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // Messages: filter, open one, reroute it with a reason.
  await page.goto(base + '/console#messages');
  await page.selectOption('#search-form select[name=queue]', 'support');
  await page.click('#search-form button');
  await page.locator('#results tr[data-id="s:2"]').waitFor();
  await page.click('#results tr[data-id="s:2"] a');
  await page.locator('#msg-text').filter({ hasText: 'order 12342' }).waitFor();
  assert.equal(await page.getAttribute('#msg-text', 'dir'), 'auto');
  assert.ok(await page.locator('#msg-rules li').count() > 0);
  await page.fill('#acting', 'alice');
  await page.selectOption('#reroute-queue', 'sales');
  await page.fill('#reroute-reason', 'asks about a bulk order: a lead');
  await page.click('#reroute-form button');
  await page.locator('#msg-events li').filter({ hasText: 'rerouted by alice' }).waitFor();
  const stored = await (await fetch(base + '/v1/messages/s:2', { headers: { Authorization: 'Bearer ' + admin.token } })).json();
  assert.equal(stored.state.queue, 'sales');
  assert.equal(stored.events[0].note, 'asks about a bulk order: a lead');

  // Right-to-left text is shown as written, and found by language.
  await page.goto(base + '/console#messages/lang=ar');
  await page.locator('#results tr[data-id="ar:1"] td[dir=auto]').waitFor();

  // A bad filter is a readable error naming it.
  await page.goto(base + '/console#messages');
  await page.fill('#search-form input[name=lang]', 'e n!');
  await page.click('#search-form button');
  await page.locator('#error').filter({ hasText: 'lang must be a language tag' }).waitFor();

  // A burst opens a crisis alert; the page shows it with a chart and claims it.
  const quiet = [], burst = [];
  for (let i = 0; i < 36; i++)
    quiet.push(msg('q:' + i, 'nice new colours in the menu', { brand: 'Acme', created_at: at(T0 + i * 5 * 60000) }));
  for (let i = 0; i < 40; i++)
    burst.push(msg('o:' + i, 'cannot log in, the app is down', { brand: 'Acme', created_at: at(T0 + 3 * 3600000 + i * 12000) }));
  await post('/v1/messages', quiet.join('\n'));
  await post('/v1/messages', burst.join('\n'));
  await page.goto(base + '/console#alerts');
  const alert = page.locator('article.alert').first();
  await alert.waitFor();
  assert.match(await alert.locator('h3').textContent(), /^OPEN: /);
  await page.waitForFunction(() => document.querySelectorAll('article.alert svg rect').length > 0, null, { timeout: 10000 });
  await alert.locator('.first-messages li').first().waitFor();
  await page.locator('#acting').evaluate((e, v) => { e.value = v; }, 'alice');
  await alert.locator('button.claim-alert').click();
  await alert.locator('[role=status]').filter({ hasText: 'claimed by alice' }).waitFor();
  const alertId = await alert.getAttribute('data-alert');
  const item = await (await fetch(base + '/v1/messages/' + encodeURIComponent(alertId), { headers: { Authorization: 'Bearer ' + admin.token } })).json();
  assert.equal(item.state.status, 'claimed');
  assert.equal(item.state.agent, 'alice');

  fs.writeFileSync(path.join(tmp, 'alerts-1280.png'), await page.screenshot({ fullPage: true }));

  // The rules playground.
  await page.goto(base + '/console#playground');
  await page.fill('#explain-text', 'refund please, my order 12345 never arrived');
  await page.fill('#explain-lang', 'en');
  await page.click('#explain-form button');
  await page.locator('#explain-summary').filter({ hasText: 'support' }).waitFor();
  assert.ok(await page.locator('#explain-fired tbody tr').count() > 0);
  fs.writeFileSync(path.join(tmp, 'playground-1280.png'), await page.screenshot({ fullPage: true }));
  await page.fill('#explain-lang', 'not a tag');
  await page.click('#explain-form button');
  await page.locator('#error').filter({ hasText: "'lang' must be a language tag" }).waitFor();

  // The maturity brief.
  await page.goto(base + '/console#maturity');
  await page.locator('#maturity-inputs').waitFor();
  fs.writeFileSync(path.join(tmp, 'maturity-1280.png'), await page.screenshot({ fullPage: true }));

  // A phone-width page of a message.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/console#message/' + encodeURIComponent('ar:1'));
  await page.locator('#msg-text').filter({ hasText: 'أين' }).waitFor();
  const phoneShot = await page.screenshot({ fullPage: true });
  fs.writeFileSync(path.join(tmp, 'message-390.png'), phoneShot);
  const phone = pngColours(phoneShot);
  assert.ok(phone.colours >= 8, 'the phone-width message page is not blank');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling');

  assert.deepEqual(problems, [], 'no script errors and no CSP violations');
  await context.close();

  // A read-only token: no agent actions.
  const ro = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p2 = await ro.newPage();
  await p2.goto(base + '/console');
  await p2.fill('#token', viewer.token);
  await p2.click('#signin button');
  await p2.locator('#who-name').filter({ hasText: 'viewer' }).waitFor();
  await p2.goto(base + '/console#message/s:1');
  await p2.locator('#msg-text').filter({ hasText: 'order 12341' }).waitFor();
  assert.ok(await p2.locator('#msg-actions').isHidden(), 'a read token sees no actions');
  await ro.close();
  console.log('console test: ok' + (process.env.CONSOLE_TEST_KEEP ? '; files in ' + tmp : ''));
}

main().then(() => 0, (e) => { console.error('console test: FAILED:', e && e.stack || e); return 1; }).then(async (code) => {
  if (browser) await browser.close().catch(() => {});
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
  // CONSOLE_TEST_KEEP=1 keeps the screenshots and the daemon's files.
  if (code === 0 && !process.env.CONSOLE_TEST_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else console.error('console test: files kept in ' + tmp);
  process.exit(code);
});

// Drives Debian's chromium headless (puppeteer-core: it uses the installed
// browser and downloads nothing) through `retl console`, for tests/it/0701.
//   node browse.mjs   with CONSOLE_URL, CONSOLE_TOKEN, EXPECT (a JSON file of the
//   figures `retl status --json` gave, the failed run, the CSV of `retl errors`),
//   SHOTS (the folder for the screenshots), CHROMIUM (the browser).
// Prints "ok   ..." / "FAIL ..." lines and "N passed, M failed"; exit 1 on a failure.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const url = process.env.CONSOLE_URL.replace(/\/$/, '');
const token = process.env.CONSOLE_TOKEN;
const expect = JSON.parse(fs.readFileSync(process.env.EXPECT, 'utf8'));
const shots = process.env.SHOTS;
let passed = 0, failed = 0;
const check = (ok, what) => {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (ok) passed++; else failed++;
};
const num = (s) => Number(String(s).replace(/,/g, ''));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // a loaded CI machine starts chromium slowly; the machine's network is
  // closed, so nothing in the background may try to reach out
  timeout: 120000,
  protocolTimeout: 120000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
         '--disable-quic', '--disable-background-networking', '--disable-component-update',
         '--disable-sync'],
});
try {
  // --- without the token: refused
  const anon = await browser.createBrowserContext();
  const ap = await anon.newPage();
  // Chromium turns a basic-auth challenge it has no credentials for into a
  // navigation error, and does not always report the answer to a page's
  // listeners: the status is asked of the server directly, the page is
  // what the browser shows.
  const r0 = await fetch(url + '/', {redirect: 'manual'});
  const challenge = r0.headers.get('www-authenticate') || '';
  check(r0.status === 401 && /^Basic /.test(challenge),
        `a request without the token is refused (HTTP ${r0.status}, ${challenge})`);
  let body0 = '';
  try {
    await ap.goto(url + '/', {waitUntil: 'load'});
    body0 = await ap.content();
  } catch (e) { /* net::ERR_INVALID_AUTH_CREDENTIALS */ }
  check(!body0.includes('id="syncs"'), 'the refusal shows no page');
  await anon.close();

  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  await page.authenticate({username: 'operator', password: token});
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // a console error other than a refused fetch (the favicon's 404, the forged
  // POST's 403 below) is a script's fault
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });

  // --- Syncs
  let r = await page.goto(url + '/', {waitUntil: 'load'});
  check(r.status() === 200, 'Syncs page: HTTP 200 with the token (basic auth)');
  const row = await page.$$eval('#syncs tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  const sync = row.find((c) => c[0] === expect.sync);
  check(!!sync, `Syncs page lists sync ${expect.sync}`);
  if (sync) {
    check(sync[1] === expect.workspace, `workspace ${sync[1]}`);
    check(sync[2] === 'people', `kind ${sync[2]}`);
    check(sync[3] === 'every 1h', `schedule ${sync[3]}`);
    check(sync[5] === 'active', `state ${sync[5]}`);
    check(sync[6] === expect.last_sync_time_text, `last_sync_time ${sync[6]} = ${expect.last_sync_time_text}`);
    check(sync[7] === expect.status, `last import's status "${sync[7]}" = "${expect.status}"`);
    check(num(sync[9]) === expect.pending, `lag ${sync[9]} = ${expect.pending}`);
  }
  await page.screenshot({path: path.join(shots, 'console-syncs.png')});

  // --- A sync
  await page.click(`#syncs a[href="/sync?name=${encodeURIComponent(expect.sync)}"]`);
  await page.waitForSelector('#imports');
  const imports = await page.$$eval('#imports tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  check(imports.length === expect.imports.length,
        `sync page: ${imports.length} imports = ${expect.imports.length}`);
  expect.imports.forEach((want, i) => {
    const got = imports[i] || [];
    check(got[2] === want.status && num(got[3]) === want.rows && num(got[4]) === want.imported &&
          num(got[5]) === want.failed && (got[6] || '').startsWith(want.run),
          `import ${i + 1}: ${got.slice(2, 7).join(' | ')} = ${want.status} ${want.rows} ${want.imported} ${want.failed} ${want.run}`);
  });
  const bars = await page.$$eval('svg.chart rect', (rs) => rs.length);
  const expectBars = expect.imports.reduce((n, i) => n + (i.failed ? 2 : 1), 0);
  check(bars === expectBars, `chart: ${bars} bars drawn by the server = ${expectBars}`);
  check(await page.$('svg.chart polyline') !== null, 'chart: the duration line');
  const query = await page.$eval('pre.query', (e) => e.textContent);
  check(query.includes(expect.query_marker), `the query text shows "${expect.query_marker}" as text`);
  // the script polls /progress: figures written without a reload
  await page.waitForFunction(() => document.getElementById('progress').dataset.updated, {timeout: 60000});
  const pend = await page.$eval('#p-pending', (e) => e.textContent);
  check(num(pend) === expect.pending, `live progress: records waiting ${pend} (updated by the script)`);
  await page.screenshot({path: path.join(shots, 'console-sync.png'), fullPage: true});

  // --- A run: its failed rows
  await page.goto(url + '/run?id=' + encodeURIComponent(expect.failed_run), {waitUntil: 'load'});
  const failedRows = await page.$$eval('#failed tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  check(failedRows.length === expect.failed_rows, `run page: ${failedRows.length} failed rows = ${expect.failed_rows}`);
  const evil = failedRows.find((c) => (c[3] || '').includes('<script>'));
  check(!!evil, `a reason holding <script> is shown as text: ${evil ? evil[3] : '(none)'}`);
  check(await page.evaluate(() => document.querySelectorAll('#failed script, #failed b').length) === 0,
        'no element was made from the row\'s text');
  check(await page.evaluate(() => window.__retl_xss === undefined), 'the row\'s script did not run');
  const csvHref = await page.$eval('#csv', (a) => a.getAttribute('href'));
  const csv = await page.evaluate(async (h) => (await fetch(h, {credentials: 'same-origin'})).text(), csvHref);
  check(csv === expect.csv, `the CSV download (${csv.length} bytes) equals retl errors (${expect.csv.length} bytes)`);
  await page.screenshot({path: path.join(shots, 'console-run.png'), fullPage: true});

  // --- Replay: a confirmation, then a POST with the CSRF token
  await page.click('#replay');
  await page.waitForSelector('#confirm');
  await page.screenshot({path: path.join(shots, 'console-replay-confirm.png')});
  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('#confirm')]);
  const result = await page.$eval('#result', (e) => e.textContent);
  check(result === 'Replay appended.', `replay: ${result}`);
  await page.screenshot({path: path.join(shots, 'console-replay-done.png')});
  // a POST that did not come from the console's own form is refused
  const forged = await page.evaluate(async (id) => (await fetch('/replay', {method: 'POST',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body: 'id=' + encodeURIComponent(id) + '&csrf=forged'})).status, expect.failed_run);
  check(forged === 403, `a POST without the form's CSRF token is refused (HTTP ${forged})`);
  check(errors.length === 0, `no script errors in the pages${errors.length ? ': ' + errors.join('; ') : ''}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

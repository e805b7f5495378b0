// The report (cbench --report --baseline) in Debian's headless Chromium:
// the page renders with no error, says FAIL with the failure's reason,
// shows the comparison with its regression first and links its
// differential flame graph; every link resolves; the embedded flame
// graphs load (a test's on demand). A flame graph opened by itself:
// boxes as wide as their values, tooltips with value and percent, zoom
// and search working when clicked, as a user would; the differential
// graph colours what grew. speedscope opens the same profiles. Leaves
// screenshots in SHOTS.
//
//   node view_report.mjs REPORT_DIR SHOTS
import fs from 'node:fs';
import path from 'node:path';
import { launch, watchedPage, openInSpeedscope, sleep } from './browser.mjs';

const [dir, shots] = process.argv.slice(2);
const W = 1200, PAD = 10, FULL = W - 2 * PAD;
const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); return ok; };

function url(p) { return 'file://' + path.resolve(p); }

async function checkPage(browser) {
  const page = await watchedPage(browser, 1400, 1000);
  await page.goto(url(path.join(dir, 'index.html')), { waitUntil: 'load' });
  await sleep(1000);
  await page.screenshot({ path: path.join(shots, 'report.png'), fullPage: true });
  const facts = await page.evaluate(() => ({
    verdict: document.querySelector('#verdict').textContent,
    failures: document.querySelector('#failures')?.innerText || '',
    regression: [...document.querySelectorAll('#compare tr.regression')].map(tr => tr.innerText),
    firstRow: document.querySelector('#compare table tr:nth-child(2)')?.className,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    objects: [...document.querySelectorAll('object[data]')].map(o => o.getAttribute('data')),
    frames: [...document.querySelectorAll('details.graph')].map(d => d.getAttribute('data-src')),
  }));
  check(facts.verdict === 'FAIL', `verdict ${facts.verdict}, want FAIL`);
  check(/reason_prog\.c:\d+: 0x29 != 0x2a/.test(facts.failures),
        `the failure's reason is not on the page: ${facts.failures.slice(0, 300)}`);
  check(facts.regression.some(t => /Checksum/.test(t) && /cpu-ns\/op/.test(t)),
        `no cpu-ns/op regression row: ${JSON.stringify(facts.regression)}`);
  check(facts.firstRow === 'regression', `the first row is "${facts.firstRow}", not a regression`);
  check(facts.links.includes('diff/BenchmarkChecksum/cpu.svg'), 'no link to the differential graph');
  for (const ref of [...facts.links, ...facts.objects, ...facts.frames]) {
    const file = path.join(dir, decodeURIComponent(ref));
    check(fs.existsSync(file), `a link does not resolve: ${ref}`);
  }
  check(facts.links.length > 10 && facts.objects.length >= 2 && facts.frames.length > 2,
        `too few links: ${facts.links.length} links, ${facts.objects.length} objects, ` +
        `${facts.frames.length} frames`);
  // The embedded graphs ran their script and drew boxes.
  const drawn = async () => {
    const out = [];
    for (const f of page.frames())
      if (f.url().endsWith('.svg'))
        out.push([f.url(), await f.evaluate(() => document.querySelectorAll('#frames g.f').length)]);
    return out;
  };
  let graphs = await drawn();
  check(graphs.some(([u, n]) => u.endsWith('gate_example/cpu.svg') && n > 2),
        `the binary's CPU flame graph is not drawn: ${JSON.stringify(graphs)}`);
  check(graphs.some(([u, n]) => u.endsWith('diff/BenchmarkChecksum/cpu.svg') && n > 2),
        'the differential flame graph is not drawn');
  // A test's graph loads when its <details> is opened, not before.
  const src = 'gate_example/BenchmarkChecksum/cpu.svg';
  check(facts.frames.includes(src), `no flame graph of ${src} to open`);
  check(!graphs.some(([u]) => u.endsWith(src)), `a test's flame graph loaded unasked: ${src}`);
  const summary = await page.$(`details.graph[data-src="${src}"] summary`);
  await summary.scrollIntoView();
  await summary.click();
  await sleep(1500);
  graphs = await drawn();
  check(graphs.some(([u, n]) => u.endsWith(src) && n > 0),
        `opening a test's flame graph loaded nothing: ${src}`);
  check(!page.errors.length, `errors on the page: ${page.errors.join(' | ')}`);
  await page.close();
}

// The geometry, the tooltips, zoom and search of one flame graph.
async function checkFlameGraph(browser, file) {
  const page = await watchedPage(browser, W, 900);
  await page.goto(url(file), { waitUntil: 'load' });
  await sleep(300);
  await page.screenshot({ path: path.join(shots, 'flame.png'), fullPage: true });
  const boxes = await page.evaluate(() => {
    const total = +document.documentElement.getAttribute('data-total');
    return { total, boxes: [...document.querySelectorAll('#frames g.f')].map(g => ({
      x: +g.getAttribute('data-x'), w: +g.getAttribute('data-w'), d: +g.getAttribute('data-d'),
      v: +g.getAttribute('data-v'), n: g.getAttribute('data-n'),
      title: g.querySelector('title').textContent,
      rw: +g.querySelector('rect').getAttribute('width'),
    })) };
  });
  const { total } = boxes;
  check(total > 0 && boxes.boxes.length > 3, `an empty flame graph: ${boxes.boxes.length} boxes`);
  for (const b of boxes.boxes) {
    check(Math.abs(b.w - b.v / total * FULL) < 0.02, `${b.n}: width ${b.w} for value ${b.v} of ${total}`);
    const m = /^(.*): \S+ \((\d+\.\d\d)%\), self \S+/.exec(b.title);
    check(m && m[1] === b.n && Math.abs(+m[2] - 100 * b.v / total) < 0.006,
          `${b.n}: tooltip "${b.title}"`);
  }
  // Children side by side inside their parent.
  for (const b of boxes.boxes)
    for (const c of boxes.boxes)
      if (c.d === b.d + 1 && c.x >= b.x - 1e-6 && c.x < b.x + b.w - 1e-6)
        check(c.x + c.w <= b.x + b.w + 0.02, `${c.n} sticks out of ${b.n}`);
  // Zoom: a click on a box narrower than the whole.
  const target = boxes.boxes.filter(b => b.d >= 1 && b.w < FULL - 1 && b.w > 20)
                            .sort((a, b) => b.w - a.w)[0];
  if (check(target, 'no box to zoom into')) {
    const all = await page.$$('#frames g.f');
    let el = null;
    for (const h of all)
      if (await h.evaluate((g, t) => +g.getAttribute('data-x') === t.x &&
                                     +g.getAttribute('data-d') === t.d, target)) { el = h; break; }
    await (await el.$('rect')).click();
    await sleep(200);
    await page.screenshot({ path: path.join(shots, 'flame-zoomed.png'), fullPage: true });
    const z = await page.evaluate((t, FULL) => {
      const gs = [...document.querySelectorAll('#frames g.f')];
      const me = gs.find(g => g.classList.contains('zoomed'));
      const inside = gs.filter(g => +g.getAttribute('data-d') > t.d &&
        +g.getAttribute('data-x') >= t.x - 1e-6 &&
        +g.getAttribute('data-x') + +g.getAttribute('data-w') <= t.x + t.w + 1e-6);
      const ratio = FULL / t.w;
      return {
        me: me && +me.getAttribute('data-x') === t.x,
        width: me && +me.querySelector('rect').getAttribute('width'),
        scaled: inside.every(g => Math.abs(+g.querySelector('rect').getAttribute('width') -
                                           +g.getAttribute('data-w') * ratio) < 0.05),
        ninside: inside.length,
        hidden: gs.filter(g => g.classList.contains('hide')).length,
        unzoom: !document.getElementById('unzoom').classList.contains('hide'),
      };
    }, target, FULL);
    check(z.me && Math.abs(z.width - FULL) < 0.05, `zoom: the clicked box is ${z.width} wide`);
    check(z.scaled, 'zoom: the boxes above it did not widen in proportion');
    check(z.hidden > 0, 'zoom: nothing beside it was hidden');
    check(z.unzoom, 'zoom: no "Reset zoom"');
    await page.click('#unzoom');
    await sleep(100);
    const back = await page.evaluate(() => [...document.querySelectorAll('#frames g.f')].every(g =>
      !g.classList.contains('hide') &&
      Math.abs(+g.querySelector('rect').getAttribute('width') - +g.getAttribute('data-w')) < 0.01));
    check(back, 'reset zoom did not restore every box');
  }
  // Search: "Search", a regular expression in the prompt.
  page.answer = '^checksum';
  await page.click('#search');
  await sleep(200);
  await page.screenshot({ path: path.join(shots, 'flame-search.png'), fullPage: true });
  const s = await page.evaluate(() => {
    const gs = [...document.querySelectorAll('#frames g.f.match')];
    return { n: gs.length, names: gs.map(g => g.getAttribute('data-n')),
             fills: gs.map(g => g.querySelector('rect').getAttribute('fill')),
             spans: gs.map(g => [+g.getAttribute('data-x'), +g.getAttribute('data-w'),
                                 +g.getAttribute('data-v')]),
             matched: document.getElementById('matched').textContent };
  });
  check(s.n > 0 && s.names.every(n => /^checksum/.test(n)), `search matched ${JSON.stringify(s.names)}`);
  check(s.fills.every(f => f === 'rgb(230,0,230)'), 'search: matches are not highlighted');
  // The share: the matches' values, a match inside another counted once.
  const spans = s.spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let sum = 0, end = -1;
  for (const [x, w, v] of spans) if (x >= end - 1e-6) { sum += v; end = x + w; }
  const want = (100 * sum / total).toFixed(1);
  check(s.matched === `Matched: ${want}%`, `search says "${s.matched}", want ${want}%`);
  check(!page.errors.length, `errors in the flame graph: ${page.errors.join(' | ')}`);
  await page.close();
}

async function checkDiff(browser, file) {
  const page = await watchedPage(browser, W, 900);
  await page.goto(url(file), { waitUntil: 'load' });
  await page.screenshot({ path: path.join(shots, 'flame-diff.png'), fullPage: true });
  const d = await page.evaluate(() => ({
    diff: document.documentElement.getAttribute('data-diff'),
    subtitle: document.getElementById('subtitle').textContent,
    red: [...document.querySelectorAll('#frames rect')].filter(r =>
      /^rgb\(255,(\d+),\1\)$/.test(r.getAttribute('fill')) && !/255,255/.test(r.getAttribute('fill'))).length,
  }));
  check(d.diff === '1', 'the differential graph is not marked so');
  check(/red: grew/.test(d.subtitle), `subtitle: ${d.subtitle}`);
  check(d.red > 0, 'nothing grew in the differential graph of a 30% slowdown');
  check(!page.errors.length, `errors in the differential graph: ${page.errors.join(' | ')}`);
  await page.close();
}

const b = await launch();
try {
  await checkPage(b.browser);
  await checkFlameGraph(b.browser, path.join(dir, 'gate_example', 'cpu.svg'));
  await checkDiff(b.browser, path.join(dir, 'diff', 'BenchmarkChecksum', 'cpu.svg'));
  for (const p of ['gate_example/cpu.pb.gz', 'gate_example/allocs.pb.gz',
                   'gate_example/BenchmarkChecksum/cpu.pb.gz']) {
    const r = await openInSpeedscope(b.browser, path.join(dir, p), b.work);
    check(r.importer === 'Importing as protobuf encoded pprof file',
          `${p}: speedscope: ${r.importer}`);
    if (p.endsWith('/cpu.pb.gz') && p.split('/').length === 2)
      await r.page.screenshot({ path: path.join(shots, 'speedscope.png') });
    await r.page.close();
  }
} catch (e) {
  problems.push(e.stack || String(e));
} finally {
  await b.close();
}
if (problems.length) {
  console.error('view_report:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log(`view_report: ok; screenshots in ${shots}`);

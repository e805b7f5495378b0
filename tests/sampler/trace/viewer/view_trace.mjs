// Opens a trace in speedscope, as its command-line launcher does (a
// script calling speedscope.loadFileFromBase64, named in the page's
// #localProfilePath), in Debian's headless Chromium driven by
// puppeteer-core, and fails unless speedscope imported it: its console
// says which importer it used, nothing went to the console as an error,
// the page shows no error, and the expected text (a thread's name) is on
// screen. Leaves a screenshot.
//
//   node view_trace.mjs TRACE EXPECTED_IMPORTER EXPECTED_TEXT SCREENSHOT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const [trace, importer, expected, screenshot] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const index = path.join(path.dirname(require.resolve('speedscope/package.json')),
                        'dist/release/index.html');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cbench-viewer-'));
const script = path.join(work, 'profile.js');
const b64 = fs.readFileSync(trace).toString('base64');
fs.writeFileSync(script,
  `speedscope.loadFileFromBase64(${JSON.stringify(path.basename(trace))}, ${JSON.stringify(b64)})`);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--allow-file-access-from-files', `--user-data-dir=${path.join(work, 'profile')}`],
});
let failure = null;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 800 });
  const logs = [], errors = [];
  page.on('console', m => (m.type() === 'error' ? errors : logs).push(m.text()));
  page.on('pageerror', e => errors.push(String(e)));
  page.on('dialog', async d => { errors.push(`dialog: ${d.message()}`); await d.dismiss(); });
  await page.goto(`file://${index}#localProfilePath=${script}`);
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline && !logs.some(l => l.startsWith('Importing as')) && !errors.length)
    await new Promise(r => setTimeout(r, 200));
  await new Promise(r => setTimeout(r, 1500)); // let it draw
  const text = await page.evaluate(() => document.body.innerText);
  await page.screenshot({ path: screenshot });
  const used = logs.find(l => l.startsWith('Importing as'));
  if (errors.length)
    failure = `errors: ${errors.join(' | ')}`;
  else if (!used)
    failure = `no import happened; console: ${logs.join(' | ')}`;
  else if (used !== `Importing as ${importer}`)
    failure = `imported as "${used}", expected "Importing as ${importer}"`;
  else if (/Something went wrong/.test(text))
    failure = 'speedscope shows an error';
  else if (!text.includes(expected))
    failure = `"${expected}" is not on the page: ${text.slice(0, 300)}`;
  else
    console.log(`${path.basename(trace)}: ${used}; screenshot ${screenshot}`);
} finally {
  await browser.close();
  fs.rmSync(work, { recursive: true, force: true });
}
if (failure) {
  console.error(`view_trace: ${trace}: ${failure}`);
  process.exit(1);
}

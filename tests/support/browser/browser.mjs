// What the suite's browser tests share: Debian's headless Chromium,
// driven by puppeteer-core (never a browser download), with the flags
// it needs as root and a fresh profile folder; a page that records
// every console error, page error and dialog; and speedscope (npm),
// opened on a file as its command-line launcher opens one.
//
// Used by tests/sampler/trace/view_trace.mjs and
// tests/harness/cli/view_report.mjs, copied with this file into the
// build folder that holds node_modules (npm_modules.sh).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);

// A browser with a fresh profile; close() removes it.
export async function launch() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cbench-browser-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--allow-file-access-from-files', `--user-data-dir=${path.join(work, 'profile')}`],
  });
  return {
    browser, work,
    async close() {
      await browser.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

// A page whose console messages, errors and dialogs are recorded in
// .logs and .errors; a dialog (a prompt) is answered with .answer, or
// dismissed and counted an error when there is none.
export async function watchedPage(browser, width = 1400, height = 900) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.logs = [];
  page.errors = [];
  page.answer = null;
  page.on('console', m => (m.type() === 'error' ? page.errors : page.logs).push(m.text()));
  page.on('pageerror', e => page.errors.push(String(e)));
  page.on('dialog', async d => {
    if (d.type() === 'prompt' && page.answer !== null) {
      const a = page.answer;
      page.answer = null;
      await d.accept(a);
    } else {
      page.errors.push(`dialog: ${d.message()}`);
      await d.dismiss();
    }
  });
  return page;
}

export function sleep(ms) {
  return new Promise(r => setTimeout(r, ms));
}

// Opens `file` in speedscope and waits for its import: returns the
// importer it used ("Importing as ...") and the text on screen, or
// throws with what went wrong (an error, no import, an error screen).
export async function openInSpeedscope(browser, file, work) {
  const index = path.join(path.dirname(require.resolve('speedscope/package.json')),
                          'dist/release/index.html');
  const script = path.join(work, `load-${path.basename(file)}.js`);
  const b64 = fs.readFileSync(file).toString('base64');
  fs.writeFileSync(script,
    `speedscope.loadFileFromBase64(${JSON.stringify(path.basename(file))}, ${JSON.stringify(b64)})`);
  const page = await watchedPage(browser);
  await page.goto(`file://${index}#localProfilePath=${script}`);
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline && !page.logs.some(l => l.startsWith('Importing as')) &&
         !page.errors.length)
    await sleep(200);
  await sleep(1500); // let it draw
  const text = await page.evaluate(() => document.body.innerText);
  const importer = page.logs.find(l => l.startsWith('Importing as'));
  if (page.errors.length)
    throw new Error(`${file}: errors in speedscope: ${page.errors.join(' | ')}`);
  if (!importer)
    throw new Error(`${file}: speedscope imported nothing; console: ${page.logs.join(' | ')}`);
  if (/Something went wrong/.test(text))
    throw new Error(`${file}: speedscope shows an error`);
  return { page, importer, text };
}

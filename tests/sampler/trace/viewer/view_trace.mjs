// Opens a trace in speedscope (tests/support/browser/browser.mjs: as
// its command-line launcher does, in Debian's headless Chromium driven
// by puppeteer-core), and fails unless speedscope imported it: its
// console says which importer it used, nothing went to the console as
// an error, the page shows no error, and the expected text (a thread's
// name) is on screen. Leaves a screenshot.
//
//   node view_trace.mjs TRACE EXPECTED_IMPORTER EXPECTED_TEXT SCREENSHOT
import path from 'node:path';
import { launch, openInSpeedscope } from './browser.mjs';

const [trace, importer, expected, screenshot] = process.argv.slice(2);
const b = await launch();
let failure = null;
try {
  const { page, importer: used, text } = await openInSpeedscope(b.browser, trace, b.work);
  await page.screenshot({ path: screenshot });
  if (used !== `Importing as ${importer}`)
    failure = `imported as "${used}", expected "Importing as ${importer}"`;
  else if (!text.includes(expected))
    failure = `"${expected}" is not on the page: ${text.slice(0, 300)}`;
  else
    console.log(`${path.basename(trace)}: ${used}; screenshot ${screenshot}`);
} catch (e) {
  failure = e.message;
} finally {
  await b.close();
}
if (failure) {
  console.error(`view_trace: ${trace}: ${failure}`);
  process.exit(1);
}

import { openBrowser } from './browser.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  fetch: (...args) => globalThis.fetch(...args),
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  openBrowser: (url) => openBrowser(url, process.env),
  stdin: process.stdin,
});

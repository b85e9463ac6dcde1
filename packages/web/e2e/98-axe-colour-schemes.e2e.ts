import { axeViolations } from './support/axe.js';
import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

/**
 * The accessibility scans run every rule in the light scheme and only the colour rules in the
 * dark one (support/axe.ts): a fault that shows in the dark scheme alone must still fail a scan,
 * and one that does not depend on colour is reported once.
 */

/**
 * Readable in the light scheme (the link, not underlined, is told from its text by a 3.7:1
 * contrast, WCAG 1.4.1); in the dark one, grey text on near-black and a link coloured like its text.
 */
const DARK_ONLY_FAULTS = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Colour schemes</title><style>
body { background: #ffffff; color: #000000; }
a { color: #d00000; text-decoration: none; }
@media (prefers-color-scheme: dark) {
  body { background: #111111; color: #3a3a3a; }
  a { color: #3b3b3b; }
}
</style></head><body><main><h1>Colour schemes</h1>
<p>Some text around <a href="#more">a link</a> in the middle of a sentence.</p>
</main></body></html>`;

test('a contrast fault in the dark scheme alone fails the scan, named as dark', async ({
  page,
}) => {
  await page.setContent(DARK_ONLY_FAULTS);
  const found = await axeViolations(page);
  const rules = found.map((line) => line.slice(0, line.indexOf(' (')));
  expect(rules).toContain('[dark] color-contrast');
  expect(rules).toContain('[dark] link-in-text-block');
  expect(rules.filter((rule) => rule.startsWith('[light]'))).toEqual([]);
});

test('a fault that does not depend on colour is reported once, from the light scheme', async ({
  page,
}) => {
  await page.setContent(
    '<!doctype html><html lang="en"><head><title>No alt</title></head>' +
      '<body><main><h1>Pictures</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>',
  );
  const found = await axeViolations(page);
  expect(found.map((line) => line.slice(0, line.indexOf(' (')))).toEqual(['[light] image-alt']);
});

test('a page with an endless animation (a loading spinner) is scanned once the finite ones end', async ({
  page,
}) => {
  // Far below the default limit: the wait for the colours to settle must not wait for the spinner.
  test.setTimeout(30_000);
  await page.setContent(
    '<!doctype html><html lang="en"><head><title>Loading</title><style>' +
      '.spinner { width: 1rem; height: 1rem; border: 2px solid #777; border-radius: 50%;' +
      ' animation: spin 0.8s linear infinite; }' +
      ' @keyframes spin { to { transform: rotate(1turn); } }' +
      ' h1 { transition: color 0.2s; }' +
      '</style></head><body><main><h1>Loading</h1><span class="spinner" aria-hidden="true"></span>' +
      '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>',
  );
  expect(await page.evaluate(() => document.getAnimations().length)).toBe(1);
  const found = await axeViolations(page);
  expect(found.map((line) => line.slice(0, line.indexOf(' (')))).toEqual(['[light] image-alt']);
});

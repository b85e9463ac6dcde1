import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, skipWithoutChromium, test } from './support/fixtures.js';

skipWithoutChromium();

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

/** A plain static host: the build's files and nothing else, no security headers at all. */
function plainStaticHost(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = join(dist, path === '/' ? 'index.html' : path);
    const info = await stat(file).catch(() => null);
    if (!file.startsWith(dist) || !info?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, server });
    });
  });
}

test('the built index.html carries its own script policy: on a host that sends no headers, an injected inline script does not run', async ({
  browser,
}) => {
  const host = await plainStaticHost();
  // Not the `page` fixture: this test provokes a CSP violation on purpose.
  const page = await browser.newPage();
  try {
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (directive: string) => violations.push(directive));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportViolation(d: string): void }).reportViolation(
          event.effectiveDirective,
        );
      });
    });
    const response = await page.goto(host.url);
    expect(response?.headers()['content-security-policy']).toBeUndefined();
    // The app starts (configuration from the build, /config.json is a 404 here).
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      // A text node, not `textContent`: Trusted Types would refuse that string at once.
      script.append(document.createTextNode('window.__injected = true;'));
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    // Refused by the policy in the page: its Trusted Types, or its script-src.
    await expect
      .poll(() => violations.filter((d) => /^(require-trusted-types-for|script-src-elem)$/.test(d)))
      .not.toEqual([]);
  } finally {
    await page.close();
    await new Promise((resolve) => host.server.close(resolve));
  }
});

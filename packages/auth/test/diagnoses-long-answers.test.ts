import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { diagnose } from '@todo-sso/auth/diagnose';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * What a provider answers reaches the doctor's findings (`received`), where every URL is shown
 * without its secrets: a long answer must be shown in time that grows with its length.
 */
let server: Server | undefined;
afterEach(async () => {
  await new Promise((done) => server?.close(done));
  server = undefined;
});

/** A provider whose discovery document names a long issuer of dotted words, as a broken one might. */
async function providerNaming(advertised: (origin: string) => string): Promise<string> {
  let origin = '';
  const provider = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ issuer: advertised(origin), jwks_uri: `${origin}/certs` }));
  });
  server = provider;
  await new Promise<void>((listening) => provider.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  return origin;
}

async function diagnosed(advertised: (origin: string) => string) {
  const issuer = await providerNaming(advertised);
  const started = performance.now();
  const result = await diagnose({
    issuers: [{ issuer, audience: ['todo-api'], profile: 'keycloak' }],
  });
  return {
    issuer,
    received: result.findings.map((f) => f.received).join(' '),
    elapsed: performance.now() - started,
  };
}

describe('a discovery document naming a long issuer', { timeout: 120_000 }, () => {
  // 80,000 characters each: 39 s and 105 s before (one run, load 10-16), when the URLs were found by regular expressions that
  // tried every word (`\b[a-z][a-z0-9+.-]*:\/\/\S+`) and every run of punctuation anew.
  it('of dotted words and no URL is diagnosed at once', async () => {
    const words = 'a.'.repeat(40_000);
    const { received, elapsed } = await diagnosed(() => words);
    expect(received).toContain(words);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('of a URL whose path is a run of dots is diagnosed at once, shown without its query', async () => {
    const dots = '.'.repeat(80_000);
    const { issuer, received, elapsed } = await diagnosed(
      (origin) => `${origin}/${dots}x?key=secret`,
    );
    expect(received).toContain(`${issuer}/${dots}x?…`);
    expect(received).not.toContain('secret');
    expect(elapsed).toBeLessThan(2_000);
  });
});

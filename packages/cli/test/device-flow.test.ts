import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * The device authorization grant (RFC 8628) against a provider that answers what the RFC allows
 * but the dev IdP never sends: `slow_down`, a dropped connection while polling, `access_denied`,
 * `expired_token`, malformed device authorization responses and unusable tokens. The provider is
 * a real HTTP server; its answers are the RFC's own examples (§3.2, §3.5) where it has them.
 *
 * The CLI waits through its `sleep` and reads the time through its `now`; here both are one
 * clock that a wait moves forward at once, and the provider stamps each poll with it. What the
 * tests assert about intervals is what the CLI waited, measured exactly, without the suite
 * spending those seconds (8 s for the slow_down case alone) on a real timer.
 */
type Answer = { status: number; body: Record<string, unknown> } | 'drop';

interface FakeProvider {
  issuer: string;
  device: Record<string, unknown>;
  /** Answers of the token endpoint, one per poll; the last repeats. */
  polls: Answer[];
  /** When each poll arrived (ms) and what it sent. */
  seen: { at: number; form: URLSearchParams }[];
}

let server: Server;
let provider: FakeProvider;
/** The clock of the CLI and the provider (ms): it moves only when the CLI sleeps. */
let clock = Date.now();
let configDir: string;

/** RFC 8628 §3.2's example, on this server. */
function rfcDevice(base: string, interval = 1): Record<string, unknown> {
  return {
    device_code: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS',
    user_code: 'WDJB-MJHT',
    verification_uri: `${base}/device`,
    verification_uri_complete: `${base}/device?user_code=WDJB-MJHT`,
    expires_in: 1800,
    interval,
  };
}

const TOKEN = { access_token: 'eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl', token_type: 'Bearer' };

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const base = provider.issuer;
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const path = new URL(req.url ?? '/', base).pathname;
  if (path.endsWith('/.well-known/openid-configuration')) {
    json(200, {
      issuer: base,
      token_endpoint: `${base}/token`,
      device_authorization_endpoint: `${base}/device_authorization`,
    });
  } else if (path.endsWith('/device_authorization')) {
    json(200, provider.device);
  } else if (path.endsWith('/token')) {
    provider.seen.push({ at: clock, form: new URLSearchParams(body) });
    const answer = provider.polls[Math.min(provider.seen.length, provider.polls.length) - 1];
    if (answer === 'drop' || answer === undefined) res.socket?.destroy();
    else json(answer.status, answer.body);
  } else json(404, {});
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  configDir = await mkdtemp(join(tmpdir(), 'todo-cli-device-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(configDir, { recursive: true, force: true });
});
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true });
});

function setUp(polls: Answer[], device?: (base: string) => Record<string, unknown>): void {
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/rfc8628`;
  provider = { issuer, device: (device ?? rfcDevice)(issuer), polls, seen: [] };
}

async function login() {
  const out: string[] = [];
  const err: string[] = [];
  const opened: string[] = [];
  const code = await main(['login'], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {
      TODO_CONFIG_DIR: configDir,
      TODO_ISSUER: provider.issuer,
      // No API here: the sign-in explains the refusal and keeps the tokens.
      TODO_API_URL: 'http://127.0.0.1:9',
      TODO_TOKEN_STORE: 'file',
    },
    fetch: (...a) => globalThis.fetch(...a),
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    openBrowser: async (url) => {
      opened.push(url);
      return true;
    },
  });
  return { code, out: out.join('\n'), err: err.join('\n'), opened };
}

const pending = { status: 400, body: { error: 'authorization_pending' } };

describe('todo login: the device grant as RFC 8628 describes it', () => {
  it('polls at the interval, 5 s slower after slow_down, with the device code (§3.4, §3.5)', async () => {
    setUp([pending, { status: 400, body: { error: 'slow_down' } }, { status: 200, body: TOKEN }]);
    const started = clock;
    const result = await login();
    expect(result.code).toBe(0);
    expect(result.err).toContain(`To sign in, open ${provider.issuer}/device`);
    expect(result.err).toContain('and enter the code WDJB-MJHT');
    expect(result.opened).toEqual([`${provider.issuer}/device?user_code=WDJB-MJHT`]);
    const [first, second, third] = provider.seen;
    expect(first?.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code');
    expect(first?.form.get('device_code')).toBe('GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS');
    expect(first?.form.get('client_id')).toBe('todo-cli');
    expect((first?.at ?? 0) - started).toBe(1000);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBe(1000);
    expect((third?.at ?? 0) - (second?.at ?? 0)).toBe(6000);
  });

  it('stops on access_denied and on expired_token', async () => {
    setUp([{ status: 400, body: { error: 'access_denied' } }]);
    expect(await login()).toMatchObject({ code: 1, err: /todo login: The sign-in was denied$/ });
    setUp([{ status: 400, body: { error: 'expired_token' } }]);
    expect(await login()).toMatchObject({
      code: 1,
      err: /todo login: The code expired before it was approved; run todo login again$/,
    });
  });

  it('backs off and keeps polling when a poll gets no answer (§3.5, connection timeout)', async () => {
    setUp([pending, 'drop', { status: 200, body: TOKEN }]);
    const result = await login();
    expect(result.code).toBe(0);
    expect(provider.seen).toHaveLength(3);
    const [, second, third] = provider.seen;
    // The interval doubles after a poll without an answer.
    expect((third?.at ?? 0) - (second?.at ?? 0)).toBe(2000);
  });

  it('never polls faster than once a second, whatever interval the provider sends (§3.5)', async () => {
    // A fraction of a second would make the CLI hammer the token endpoint.
    setUp([pending, pending, { status: 200, body: TOKEN }], (base) => rfcDevice(base, 0.01));
    const started = clock;
    expect((await login()).code).toBe(0);
    const [first, second, third] = provider.seen;
    expect((first?.at ?? 0) - started).toBe(1000);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBe(1000);
    expect((third?.at ?? 0) - (second?.at ?? 0)).toBe(1000);
    // 0 (or a negative number) is no interval at all: the RFC's default of 5 s (§3.2).
    setUp([{ status: 200, body: TOKEN }], (base) => rfcDevice(base, 0));
    const again = clock;
    expect((await login()).code).toBe(0);
    expect((provider.seen[0]?.at ?? 0) - again).toBe(5000);
  });

  it('stops when the code expires even when the interval is longer than its lifetime (§3.2)', async () => {
    setUp([pending], (base) => ({ ...rfcDevice(base), expires_in: 2, interval: 3600 }));
    const started = clock;
    const result = await login();
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /todo login: The code expired before it was approved; run todo login again$/,
    );
    // It waited out the code's 2 s lifetime, not the hour's interval.
    expect(clock - started).toBe(2000);
    expect(provider.seen).toEqual([]);
  });

  it('refuses a device authorization response without a usable verification URI or lifetime (§3.2)', async () => {
    for (const broken of [
      (base: string) => ({ ...rfcDevice(base), verification_uri: undefined }),
      (base: string) => ({ ...rfcDevice(base), verification_uri: 'javascript:alert(1)' }),
      (base: string) => ({
        ...rfcDevice(base),
        verification_uri: `${base}/\u001b]8;;x\u0007device`,
      }),
      (base: string) => ({ ...rfcDevice(base), user_code: 'WDJB\u001b[2J' }),
      (base: string) => ({ ...rfcDevice(base), expires_in: undefined }),
    ]) {
      setUp([{ status: 200, body: TOKEN }], broken);
      const result = await login();
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/^todo login: The device authorization response is unusable: /);
      expect(result.err).not.toContain('\u001b');
      expect(result.opened).toEqual([]);
      expect(provider.seen).toEqual([]);
    }
  });

  it('refuses a token it could not send as a bearer token, without printing it', async () => {
    const secret = 'eyJhbGciOi.c2VjcmV0\r\nX-Injected: yes';
    setUp([{ status: 200, body: { ...TOKEN, access_token: secret } }], (b) => rfcDevice(b, 1));
    const bad = await login();
    expect(bad.code).toBe(1);
    expect(`${bad.out}${bad.err}`).not.toContain('c2VjcmV0');
    expect(bad.err).toMatch(/todo login: The token response has an access_token that is not /);

    setUp([{ status: 200, body: { ...TOKEN, token_type: 'DPoP' } }], (b) => rfcDevice(b, 1));
    const dpop = await login();
    expect(dpop.code).toBe(1);
    expect(dpop.err).toMatch(/token_type DPoP/);
  });
});

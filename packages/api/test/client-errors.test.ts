import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { alice } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/http/logger.js';
import { startApi } from '../src/start.js';
import { testConfig, useRunningApi } from './support/harness.js';

/** Writes `text` on a new connection and reads everything the server sends until it closes. */
function exchange(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no close; got ${received}`)));
    socket.write(text);
  });
}

/** The status line, header fields (lower-case names) and body of one response. */
function parse(answer: string) {
  const end = answer.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = answer.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: answer.slice(end + 4) };
}

// One API over a real socket for every part of this file (`inject` never parses a request).
const stack = useRunningApi();

/**
 * Requests Node's HTTP parser refuses before Fastify routes them (an oversized header block, a
 * request both chunked and with a length, a broken request line): they are answered like every
 * other failure of the API, problem details with the security headers, and the connection is
 * closed saying so, over a real socket (`inject` never parses a request).
 */
describe('requests refused while parsing', () => {
  let token: string;
  beforeAll(async () => {
    token = await stack.idp.accessToken(alice);
  });

  function expectProblem(answer: string, status: number, code: string) {
    const { status: got, headers, body } = parse(answer);
    expect(got).toBe(status);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('connection')).toBe('close');
    expect(Number(headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(JSON.parse(body)).toMatchObject({ status, code, type: expect.any(String) });
  }

  it('answers a header block over the limit with 431 problem details (RFC 6585 §5)', async () => {
    const answer = await exchange(
      stack.api.url,
      `GET /me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectProblem(answer, 431, 'request_header_fields_too_large');
  });

  it('answers a request line over the header limit with 431 problem details too', async () => {
    const answer = await exchange(
      stack.api.url,
      `GET /todos/?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    );
    expectProblem(answer, 431, 'request_header_fields_too_large');
  });

  it('refuses Transfer-Encoding with Content-Length and never runs what follows (RFC 9112 §6.3)', async () => {
    const smuggled = `GET /me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const answer = await exchange(
      stack.api.url,
      'POST /todos/ HTTP/1.1\r\nHost: a\r\n' +
        `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    );
    expectProblem(answer, 400, 'invalid_request');
    // One answer only: the request after the body was never read as a second one.
    expect(answer.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
  });

  it('answers a broken request line with 400 problem details', async () => {
    expectProblem(await exchange(stack.api.url, 'GET\r\n\r\n'), 400, 'invalid_request');
  });

  it('logs a refused request without the bytes it read, even at trace level', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const traced = await startApi(
      testConfig(stack.idp, stack.database.config, { LOG_LEVEL: 'trace' }),
      {
        logger: createLogger('trace', destination),
      },
    );
    try {
      const answer = await exchange(
        traced.url,
        `GET /me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(parse(answer).status).toBe(431);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const log = lines.join('');
      expect(log).toContain('HPE_HEADER_OVERFLOW');
      // The parser's error carries the bytes it read, `Authorization` among them.
      expect(log).not.toContain('rawPacket');
      expect(log).not.toContain(token);
    } finally {
      await traced.close();
    }
  });
});

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without a Host field, with more than one Host field line or
 * with an invalid Host value is answered 400. The API builds the URI a DPoP proof is checked
 * against, and (without `API_PUBLIC_URL`) its own resource identifier, from the Host field: a
 * proxy in front reading another of two Host lines than the API would be checking another
 * request than the one the API serves.
 */
describe('the Host field', () => {
  const get = (version: string, hostLines: string) =>
    exchange(
      stack.api.url,
      `GET /healthz HTTP/${version}\r\n${hostLines}Connection: close\r\n\r\n`,
    );

  it('is required once, with a valid value, in an HTTP/1.1 request', async () => {
    for (const lines of [
      'Host: a.example\r\nHost: b.example\r\n',
      'Host: a.example\r\nhost: a.example\r\n',
      '',
      'Host: \r\n',
      'Host: a.example/x\r\n',
      'Host: a.example b\r\n',
      'Host: a.example:80:80\r\n',
      'Host: user@a.example\r\n',
    ]) {
      const { status, headers, body } = parse(await get('1.1', lines));
      expect(status, lines).toBe(400);
      expect(headers.get('content-type'), lines).toMatch(/^application\/problem\+json/);
      expect(headers.get('cache-control'), lines).toBe('no-store');
      expect(JSON.parse(body), lines).toMatchObject({ status: 400, code: 'invalid_request' });
    }
  });

  it('answers one valid Host, and HTTP/1.0 without one', async () => {
    for (const lines of [
      'Host: a.example\r\n',
      'Host: 127.0.0.1:3000\r\n',
      'Host: [::1]:3000\r\n',
      'Host: xn--bcher-kva.example\r\n',
    ])
      expect(parse(await get('1.1', lines)).status, lines).toBe(200);
    expect(parse(await get('1.0', '')).status).toBe(200);
    expect(parse(await get('1.0', 'Host: a\r\nHost: b\r\n')).status).toBe(400);
  });
});

/**
 * RFC 9112 §3.2.2: an origin server accepts a request target in absolute form, and then the
 * target's authority, not the Host field, is the host the request is for (§3.3: the target URI
 * is the request target). Without `API_PUBLIC_URL` the audiences the API accepts name that host
 * (RFC 8707), so they must come from the target, like the route does.
 */
describe('an absolute-form request target', () => {
  it("is served for the target's host, whatever Host says", async () => {
    // A token for this API alone, by its URL (the resource identifier without API_PUBLIC_URL).
    const token = await stack.idp.accessToken(alice, { claims: { aud: stack.api.url } });
    const me = async (target: string, host: string) =>
      parse(
        await exchange(
          stack.api.url,
          `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        ),
      );
    const own = new URL(stack.api.url).host;
    expect((await me(`${stack.api.url}/me`, 'other.example')).status).toBe(200);
    expect((await me(`${stack.api.url}/me?x=1`, 'other.example')).status).toBe(200);
    const elsewhere = await me('http://other.example/me', own);
    expect(elsewhere.status).toBe(401);
    expect(JSON.parse(elsewhere.body)).toMatchObject({ code: 'audience_mismatch' });
    // The authority is a Host value like any other: user information is refused.
    expect((await me(`http://user@${own}/me`, own)).status).toBe(400);
  });
});

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from './helpers.js';

let idp: TestIdp;
beforeAll(async () => {
  idp = await startTestIdp({ requestTimeoutMs: 1000 });
});
afterAll(async () => {
  await idp.close();
});

/** Writes `first`, then `drip` every 200 ms; resolves with what arrived once the IdP closes. */
function trickle(url: string, first: string, drip: string): Promise<{ text: string; ms: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => {});
    const timer = setInterval(() => socket.writable && socket.write(drip), 200);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error('the IdP kept the connection open for 8 s'));
    }, 8000);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ text, ms: performance.now() - started });
    });
    socket.write(first);
  });
}

/**
 * A slow client of the dev IdP is bounded like one of the API: a request must arrive whole
 * within the request timeout (30 s by default, 1 s here), else 408 (RFC 9110 §15.5.9) and the
 * connection closed. Node's own default let a trickled form hold a connection for 300 s.
 */
describe('slow clients of the dev IdP', () => {
  it('answers a token request whose form is trickled with 408 and closes the connection', async () => {
    const { pathname, host } = new URL(idp.discovery.token_endpoint as string);
    const answer = await trickle(
      idp.issuer,
      `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ng',
      'r',
    );
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.ms).toBeLessThan(5000);
  });

  it('answers a header section sent a field at a time with 408', async () => {
    const { host } = new URL(idp.issuer);
    const answer = await trickle(
      idp.issuer,
      `GET / HTTP/1.1\r\nHost: ${host}\r\n`,
      'X-Slow: 1\r\n',
    );
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.ms).toBeLessThan(5000);
  });
});

import { connect, type Socket } from 'node:net';
import { alice } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRunningApi } from './support/harness.js';

/** What a connection received, and after how long the server closed it (ms). */
interface Ending {
  readonly received: string;
  readonly receivedBytes: number;
  readonly closedAfterMs: number;
}

/**
 * Opens a connection, writes `first`, then `drip` every `everyMs` until the server closes it
 * (or `giveUpMs` passes: then it rejects). With `readAfterMs`, nothing the server sends is read
 * before then (a paused socket would not notice its close either: it is read afterwards).
 */
function slowClient(
  url: string,
  { first, drip, everyMs = 200, readAfterMs, giveUpMs = 8000 }: SlowClient,
): Promise<Ending> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket: Socket = connect(Number(port), hostname);
    let received = '';
    let receivedBytes = 0;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      receivedBytes += chunk.length;
      if (received.length < 100_000) received += chunk;
    });
    if (readAfterMs !== undefined) {
      socket.pause();
      setTimeout(() => socket.resume(), readAfterMs);
    }
    const timer =
      drip === undefined
        ? undefined
        : setInterval(() => {
            if (socket.writable) socket.write(drip);
          }, everyMs);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('error', () => {}); // a reset counts as closed too
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ received, receivedBytes, closedAfterMs: performance.now() - started });
    });
    if (first !== '') socket.write(first);
  });
}

interface SlowClient {
  readonly first: string;
  readonly drip?: string;
  readonly everyMs?: number;
  readonly readAfterMs?: number;
  readonly giveUpMs?: number;
}

/** The status line's code and the problem's `code` of the one answer a connection received. */
function answerOf(received: string): { status: number; code: unknown } {
  const status = Number(received.split(' ')[1]);
  const body = received.slice(received.indexOf('\r\n\r\n') + 4);
  return { status, code: (JSON.parse(body) as { code?: unknown }).code };
}

// One API over a real socket with one-second timeouts (`inject` has no socket to time out).
const stack = useRunningApi({ REQUEST_TIMEOUT_SECONDS: '1', CONNECTION_TIMEOUT_SECONDS: '1' });
let token: string;
beforeAll(async () => {
  token = await stack.idp.accessToken(alice);
});

/**
 * A slow client holds a connection, a parser and, for a body, a request in flight: each is
 * bounded. A request must arrive whole within `REQUEST_TIMEOUT_SECONDS` (408, RFC 9110 §15.5.9,
 * then the connection closed), and a connection serving a request with nothing moving for
 * `CONNECTION_TIMEOUT_SECONDS` (a response never read) is dropped. The bounds below leave the
 * second Node takes to notice, and a loaded machine, room: they assert a bound, not a speed.
 */
describe('slow clients', () => {
  it('answers a body trickled a byte at a time with 408 and closes its connection', async () => {
    const ending = await slowClient(stack.api.url, {
      first:
        `POST /todos/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      drip: ' ',
    });
    expect(answerOf(ending.received)).toEqual({ status: 408, code: 'request_timeout' });
    expect(ending.closedAfterMs).toBeLessThan(5000);
  });

  it('answers a header section sent a field at a time (slowloris) with 408', async () => {
    const ending = await slowClient(stack.api.url, {
      first: 'GET /healthz HTTP/1.1\r\nHost: a\r\n',
      drip: 'X-Slow: 1\r\n',
    });
    expect(answerOf(ending.received)).toEqual({ status: 408, code: 'request_timeout' });
    expect(ending.closedAfterMs).toBeLessThan(5000);
  });

  it('closes a connection that never sends a request', async () => {
    const ending = await slowClient(stack.api.url, { first: '' });
    expect(ending.closedAfterMs).toBeLessThan(5000);
  });

  it('drops a connection whose responses are not read', async () => {
    // Pipelined requests for the OpenAPI document (about 100 KB each, 10 MB in all): more than
    // the socket buffers hold while nothing is read, so writing stalls. Past the connection
    // timeout the server drops the connection; what the client reads once it reads again is
    // what the buffers held, not the rest of the responses, and the connection ends. The client
    // waits five timeouts before reading, so a loaded machine still stalls the writes first.
    const size = (await (await fetch(`${stack.api.url}/openapi.json`)).arrayBuffer()).byteLength;
    const ending = await slowClient(stack.api.url, {
      first: 'GET /openapi.json HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(100),
      readAfterMs: 5000,
      giveUpMs: 20_000,
    });
    expect(ending.receivedBytes).toBeLessThan(100 * size);
  });

  it('still serves a request whose body arrives in pieces within the timeout', async () => {
    const body = JSON.stringify({ title: 'sent in two pieces' });
    const { hostname, port } = new URL(stack.api.url);
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\r\n\r\n')) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `POST /todos/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      setTimeout(() => socket.write(body.slice(5)), 300);
    });
    expect(Number(received.split(' ')[1])).toBe(201);
  });
});

// What the API sends to PostgreSQL, read off the wire: a TCP proxy between the API and the
// server that decodes the frontend messages of protocol 3.0 (PostgreSQL 15 §55.7) and records
// every statement with its bound parameters, so pgbench can replay exactly the SQL the query
// builder compiled. Used on a short-lived API process only: the measured one talks to
// PostgreSQL directly.
import { createConnection, createServer } from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Reads a NUL-terminated string at `at`; returns [string, next offset]. */
function cstring(buf, at) {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

/**
 * Starts the proxy in front of `target` (host, port). `recording` toggles capture; `take()`
 * returns and clears what was recorded: [{ sql, params, named }] in the order the API sent them,
 * `params` being text values (or null), `named` whether it ran as a named prepared statement.
 */
export async function startCaptureProxy(target) {
  let recorded = [];
  const state = { recording: false };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    // Frontend stream decoding: untyped startup messages first, then typed messages.
    let pending = Buffer.alloc(0);
    let started = false;
    const statements = new Map();
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          if (pending.length < 8) return;
          const len = pending.readInt32BE(0);
          if (pending.length < len) return;
          const code = pending.readInt32BE(4);
          started = code !== SSL_REQUEST && code !== GSSENC_REQUEST;
          pending = pending.subarray(len);
          continue;
        }
        if (pending.length < 5) return;
        const len = pending.readInt32BE(1);
        if (pending.length < len + 1) return;
        const type = String.fromCharCode(pending[0]);
        const body = pending.subarray(5, len + 1);
        pending = pending.subarray(len + 1);
        if (type === 'P') {
          const [name, at] = cstring(body, 0);
          statements.set(name, cstring(body, at)[0]);
        } else if (type === 'B') {
          const [, at1] = cstring(body, 0);
          const [name, at2] = cstring(body, at1);
          let at = at2;
          const formats = body.readInt16BE(at);
          const codes = Array.from({ length: formats }, (_, i) => body.readInt16BE(at + 2 + 2 * i));
          at += 2 + 2 * formats;
          const count = body.readInt16BE(at);
          at += 2;
          const params = [];
          for (let i = 0; i < count; i++) {
            const n = body.readInt32BE(at);
            at += 4;
            const binary = (codes.length === 1 ? codes[0] : codes[i]) === 1;
            if (n < 0) params.push(null);
            else
              params.push(
                binary
                  ? { binary: body.subarray(at, at + n).toString('hex') }
                  : body.toString('utf8', at, at + n),
              );
            at += Math.max(n, 0);
          }
          if (state.recording)
            recorded.push({ sql: statements.get(name) ?? '', params, named: name !== '' });
        } else if (type === 'Q') {
          if (state.recording)
            recorded.push({ sql: cstring(body, 0)[0], params: [], named: false });
        }
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    state,
    take() {
      const out = recorded;
      recorded = [];
      return out;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy we control between the API and PostgreSQL: `cut()` drops every open connection
 * and refuses new ones, as a database restart does; `restore()` accepts again.
 */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Delay added to every answer from the database, ms (keeps queries in flight). */
  latencyMs: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let latencyMs = 0;
  let port = 0;
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        accepted += 1;
        const upstream = connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.on('data', (chunk: Buffer) => {
          if (latencyMs === 0) client.write(chunk);
          else setTimeout(() => client.writable && client.write(chunk), latencyMs);
        });
      });
      s.once('error', reject);
      // The same port on restore, as a restarted database comes back where it was.
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (s === undefined) resolve();
      else s.close(() => resolve());
    });

  await listen();
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(value: number) {
      latencyMs = value;
    },
    cut: stop,
    restore: listen,
    close: stop,
  };
}

import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of PostgreSQL that can drop every open connection at once (`cut`), as a
 * database restart or a network failure does, with an optional delay on the database's answers
 * so a query is still in flight when it happens.
 */
export interface TcpCut {
  /** `url` rewritten to go through the relay. */
  readonly url: string;
  latencyMs: number;
  /** Destroys every open connection; new ones are still accepted. */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpCut(url: string): Promise<TcpCut> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const relay = {
    latencyMs: 0,
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      setTimeout(() => client.destroyed || client.write(chunk), relay.latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((server.address() as AddressInfo).port);
  return {
    url: through.toString(),
    get latencyMs() {
      return relay.latencyMs;
    },
    set latencyMs(ms: number) {
      relay.latencyMs = ms;
    },
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

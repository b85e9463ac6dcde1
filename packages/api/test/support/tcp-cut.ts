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
  /**
   * Once the database has answered a client message matching `pattern` (its SQL text, as a
   * `COMMIT`), every connection is lost: each one is destroyed at its next message to the
   * database, and a new one at once, until `restore()`. The answer itself reaches the client.
   */
  loseAfter(pattern: RegExp): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpCut(url: string): Promise<TcpCut> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const relay: { latencyMs: number; trigger: RegExp | undefined; lost: boolean } = {
    latencyMs: 0,
    trigger: undefined,
    lost: false,
  };
  const server: Server = createServer((client) => {
    if (relay.lost) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    // This connection sent the triggering message: its next answer starts the loss.
    let triggered = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (relay.lost) {
        client.destroy();
        return;
      }
      if (relay.trigger?.test(chunk.toString('latin1'))) triggered = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      setTimeout(() => {
        if (client.destroyed) return;
        client.write(chunk);
        if (!triggered) return;
        triggered = false;
        relay.trigger = undefined;
        relay.lost = true;
      }, relay.latencyMs);
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
    loseAfter(pattern) {
      relay.trigger = pattern;
    },
    restore() {
      relay.trigger = undefined;
      relay.lost = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of PostgreSQL that can drop every open connection at once (`cut`), as a
 * database restart or a network failure does, with an optional delay on the database's answers
 * so a query is still in flight when it happens, or go silent without closing anything
 * (`freeze`), as a partition or a firewall that forgot a connection does.
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
  /**
   * Once, the connection whose client sends a message matching `pattern` (as a `COMMIT`) is
   * lost with that message: with `forward`, the message reaches the database and its answer is
   * held back, the connection destroyed when it arrives (the database acted; the client never
   * hears of it); without, it is destroyed at once and the message never sent.
   */
  cutAt(pattern: RegExp, options: { forward: boolean }): void;
  /**
   * Stops carrying data, both ways, on the open connections whose client has sent a message
   * matching `pattern` (as `LISTEN`), or on every connection, new ones included, without a
   * pattern. Nothing is closed and nothing tells either end: the silence of a network
   * partition, or of a NAT or firewall that dropped an idle connection from its table. What
   * was held back is delivered by `thaw()`, as TCP retransmits once the path is back.
   */
  freeze(pattern?: RegExp): void;
  /** Ends every freeze and delivers what was held back. */
  thaw(): void;
  restore(): void;
  close(): Promise<void>;
}

/** One relayed connection: what its client has sent, whether it is frozen, and what waits. */
interface Relayed {
  sent: string;
  frozen: boolean;
  held: (() => void)[];
}

/** How much of a client's first messages `freeze(pattern)` looks at. */
const SENT_KEPT = 16_384;

export async function startTcpCut(url: string): Promise<TcpCut> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const connections = new Set<Relayed>();
  const relay: {
    latencyMs: number;
    trigger: RegExp | undefined;
    cutAt: { pattern: RegExp; forward: boolean } | undefined;
    lost: boolean;
    frozen: boolean;
  } = {
    latencyMs: 0,
    trigger: undefined,
    cutAt: undefined,
    lost: false,
    frozen: false,
  };
  const server: Server = createServer((client) => {
    if (relay.lost) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const relayed: Relayed = { sent: '', frozen: relay.frozen, held: [] };
    connections.add(relayed);
    /** Runs `carry` now, or when the connection thaws. */
    const pass = (carry: () => void) => {
      if (relayed.frozen) relayed.held.push(carry);
      else carry();
    };
    // This connection sent the triggering message: its next answer starts the loss.
    let triggered = false;
    // This connection sent the message of `cutAt` (forwarded): its answer ends it.
    let cutOnAnswer = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        connections.delete(relayed);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (relay.lost) {
        client.destroy();
        return;
      }
      const text = chunk.toString('latin1');
      if (relayed.sent.length < SENT_KEPT) relayed.sent += text.slice(0, SENT_KEPT);
      if (relay.trigger?.test(text)) triggered = true;
      const at = relay.cutAt;
      if (at?.pattern.test(text)) {
        relay.cutAt = undefined;
        if (!at.forward) {
          client.destroy();
          return;
        }
        cutOnAnswer = true;
      }
      pass(() => upstream.write(chunk));
    });
    upstream.on('data', (chunk) => {
      if (cutOnAnswer) {
        client.destroy();
        return;
      }
      setTimeout(() => {
        pass(() => {
          if (client.destroyed) return;
          client.write(chunk);
          if (!triggered) return;
          triggered = false;
          // Only the first answer to a triggering message starts the loss: another connection
          // that sent one meanwhile may be answered late (a slow start-up under load), after
          // `restore()`, and must not start it again.
          if (relay.trigger === undefined) return;
          relay.trigger = undefined;
          relay.lost = true;
        });
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
    cutAt(pattern, options) {
      relay.cutAt = { pattern, forward: options.forward };
    },
    freeze(pattern) {
      if (pattern === undefined) relay.frozen = true;
      for (const relayed of connections)
        if (pattern === undefined || pattern.test(relayed.sent)) relayed.frozen = true;
    },
    thaw() {
      relay.frozen = false;
      for (const relayed of connections) {
        relayed.frozen = false;
        for (const carry of relayed.held.splice(0)) carry();
      }
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

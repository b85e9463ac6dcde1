import { performance } from 'node:perf_hooks';
import { alice, bob, carol, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll } from 'vitest';
import type { TestDatabase } from './databases.js';
import { type Instance, startInstance, testConfig } from './harness.js';
import { startTcpCut, type TcpCut } from './tcp-cut.js';

/** An API instance listening on a real socket, and its base URL. */
export interface Node {
  readonly instance: Instance;
  readonly url: string;
}

/** A real HTTP answer: status, headers and the JSON body (or none). */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** Starts an API instance on `database`, listening on a port of its own (on `clock`, if given). */
export async function listeningNode(
  idp: Pick<TestIssuer, 'issuer'>,
  database: TestDatabase,
  env: Record<string, string> = {},
  clock?: { now: () => Date },
): Promise<Node> {
  const instance = await startInstance(testConfig(idp, database.config, env), clock && { clock });
  const url = await instance.app.listen({ host: '127.0.0.1', port: 0 });
  return { instance, url };
}

/** Two instances on one PostgreSQL database: A through a relay that can fail, B directly. */
export interface RelayedPair {
  readonly relay: TcpCut;
  readonly a: Node;
  readonly b: Node;
}

/**
 * Starts instance A on PostgreSQL `database` through a relay (`startTcpCut`) that can cut,
 * lose or freeze its connections, and instance B on it directly, both with `env`; A's database
 * URL goes through `relayedUrl` first (to name A's sessions, say).
 */
export async function relayedPair(
  idp: Pick<TestIssuer, 'issuer'>,
  database: TestDatabase,
  env: Record<string, string> = {},
  relayedUrl: (url: string) => string = (url) => url,
): Promise<RelayedPair> {
  const relay = await startTcpCut((database.config as { url: string }).url);
  let a: Node | undefined;
  try {
    a = await listeningNode(
      idp,
      {
        // The database's own settings (a statement timeout, say), through the relay.
        config: { ...(database.config as { kind: 'postgres' }), url: relayedUrl(relay.url) },
        drop: async () => {},
      },
      env,
    );
    return { relay, a, b: await listeningNode(idp, database, env) };
  } catch (error) {
    await closeRelayedPair({ relay, a });
    throw error;
  }
}

/** Closes what `relayedPair` started, any part of it: faults undone, instances, then the relay. */
export async function closeRelayedPair(pair: Partial<RelayedPair>): Promise<void> {
  pair.relay?.thaw();
  pair.relay?.restore();
  await Promise.all([pair.a, pair.b].map((node) => node?.instance.close()));
  await pair.relay?.close();
}

/**
 * `count` API instances on one database for the enclosing suite, each with its own pool,
 * revocation set and token cache, as behind a load balancer; closed after it.
 */
export function useCluster(
  skip: boolean,
  idp: Pick<TestIssuer, 'issuer'>,
  database: TestDatabase,
  count = 2,
  env: Record<string, string> = {},
): Node[] {
  const nodes: Node[] = [];
  beforeAll(async () => {
    if (skip) return;
    for (let i = 0; i < count; i += 1) nodes.push(await listeningNode(idp, database, env));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.instance.close()));
  });
  return nodes;
}

/** One request over HTTP with a bearer token (when given) and a JSON body (when given). */
export async function send(
  node: Node,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: response.status, headers: response.headers, body };
}

/**
 * Sends `request` again every 100 ms until it is answered 200 (something it needs came back),
 * for up to `withinMs`; the last status, 200 unless time ran out.
 */
export async function statusOnceBack(
  request: () => Promise<Answer>,
  withinMs = 10_000,
): Promise<number> {
  const started = performance.now();
  let status = 0;
  while (status !== 200 && performance.now() - started < withinMs) {
    status = (await request()).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return status;
}

/** Bearer tokens of alice, bob and carol from the test issuer. */
export async function peopleTokens(idp: TestIssuer) {
  const [a, b, c] = await Promise.all([alice, bob, carol].map((u) => idp.accessToken(u)));
  return { alice: a as string, bob: b as string, carol: c as string };
}

import { beforeAll, expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { type Answer, type Node, send } from './cluster.js';
import type { Harness, UserName } from './harness.js';

/**
 * What the concurrency suites share: the harness's API on a real socket, so that requests sent
 * together are real HTTP requests racing in the server, and the counts their invariants read.
 */

/** The harness's API listening on 127.0.0.1 for the suite (after the harness has started). */
export function useListening(h: Harness): Node {
  let node: Node | undefined;
  beforeAll(async () => {
    if (node) return;
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    node = { instance: h, url };
  });
  return new Proxy({} as Node, {
    get: (_, key) => Reflect.get(node as Node, key),
  });
}

/** One real HTTP request as `user` of the harness (its token). */
export function as(
  h: Harness,
  node: Node,
  user: UserName,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return send(node, method, path, { ...options, token: h.tokens[user] });
}

/** `count` copies of `request`, sent at once; their answers in order. */
export function together(count: number, request: (i: number) => Promise<Answer>) {
  return Promise.all(Array.from({ length: count }, (_, i) => request(i)));
}

/** Success records of `action` (on `resource`, when given) in the audit log. */
export async function audited(db: Db, action: string, resource?: string): Promise<number> {
  let query = db.kysely
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('action', '=', action)
    .where('outcome', '=', 'success');
  if (resource !== undefined) query = query.where('resource', '=', resource);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

/** No answer is a server error: every race ends in one of the documented answers. */
export function noServerError(answers: readonly Answer[]): void {
  const failed = answers.filter((a) => a.status >= 500);
  expect(failed.map((a) => ({ status: a.status, body: a.body }))).toEqual([]);
}

/** How many answers had each status, for a readable failure. */
export function statuses(answers: readonly Answer[]): Record<number, number> {
  const counted: Record<number, number> = {};
  for (const a of answers) counted[a.status] = (counted[a.status] ?? 0) + 1;
  return counted;
}

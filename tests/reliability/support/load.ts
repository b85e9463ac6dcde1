import type { Db } from '@todo-sso/api';
import type { ApiTodo, ModelTodo } from './model.js';

/** A user of the load: a token and the subject it owns todos as. */
export interface LoadUser {
  readonly sub: string;
  readonly token: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly users: readonly LoadUser[];
  readonly durationMs: number;
  readonly writersPerUser?: number;
  readonly readers?: number;
  /** Per-request timeout; a request that exceeds it counts as `timeout` (its effect uncertain). */
  readonly timeoutMs?: number;
  /** A fresh token per request (default: each user's fixed token), e.g. across key rotations. */
  readonly tokenFor?: (user: LoadUser) => Promise<string>;
  /** Shared bookkeeping, so that several runs against one database are verified together. */
  readonly ledger?: Ledger;
  /**
   * Keep going after `durationMs` until this many creates and updates-or-deletes are
   * acknowledged (for at most {@link MINIMUM_GRACE_MS} more): how much load a test proves
   * consistency under is a count, however fast or busy the machine is.
   */
  readonly minimum?: { readonly creates: number; readonly changes: number };
}

/** How long past `durationMs` a run may go on to reach its `minimum`. */
export const MINIMUM_GRACE_MS = 25_000;

type Expected = { state: ModelTodo | null; alternatives: (ModelTodo | null)[] };

/** Every acknowledged write and every uncertain one, across runs on one database. */
export class Ledger {
  readonly expected = new Map<string, Expected>();
  readonly uncertainIds = new Set<string>();
  readonly uncertainTitles = new Set<string>();
  readonly ownerOf = new Map<string, string>();

  /** Compares the stored rows with every acknowledged write; empty when consistent. */
  async verify(db: Db): Promise<string[]> {
    const rows = await db.kysely
      .selectFrom('todos')
      .select(['id', 'owner_sub', 'title', 'description', 'completed'])
      .execute();
    const out: string[] = [];
    const stored = new Map<string, ModelTodo>();
    const titles = new Map<string, number>();
    for (const r of rows) {
      stored.set(r.id, {
        owner: r.owner_sub,
        title: r.title,
        description: r.description,
        completed: Boolean(r.completed),
      });
      titles.set(r.title, (titles.get(r.title) ?? 0) + 1);
    }
    const same = (a: ModelTodo | null, b: ModelTodo | null) =>
      JSON.stringify(a) === JSON.stringify(b);
    for (const [id, want] of this.expected) {
      const got = stored.get(id) ?? null;
      if (this.uncertainIds.has(id)) {
        // Either the write happened or it did not; both sides are acceptable.
        if (!same(want.state, got) && !want.alternatives.some((alt) => same(alt, got)))
          out.push(`${id}: ${JSON.stringify(got)} is neither state of an uncertain write`);
      } else if (!same(want.state, got)) {
        out.push(
          want.state === null
            ? `deleted ${id} is still stored`
            : got === null
              ? `acknowledged ${id} lost`
              : `${id}: stored ${JSON.stringify(got)} ≠ acknowledged ${JSON.stringify(want.state)}`,
        );
      }
    }
    for (const [id, row] of stored) {
      if (!this.expected.has(id) && !this.uncertainTitles.has(row.title))
        out.push(`row ${id} (${row.title}) was never acknowledged`);
    }
    for (const [title, count] of titles) {
      if (count > 1 && !title.startsWith('replaced-')) out.push(`"${title}" stored ${count} times`);
    }
    return out;
  }
}

/** Everything acknowledged, everything uncertain, every outcome counted. */
export interface LoadResult {
  readonly requests: number;
  /** `201`, `503 unavailable`, `transport`, … → count. */
  readonly outcomes: Map<string, number>;
  readonly acknowledged: { creates: number; updates: number; deletes: number };
  /** Latency of each failed (non-2xx) answer, ms. */
  readonly failureLatencies: number[];
  /** What contradicted isolation or read-your-writes while running. */
  readonly violations: string[];
  /** Compares the stored rows with every acknowledged write; empty when consistent. */
  verify(db: Db): Promise<string[]>;
}

/**
 * Concurrent writers (create, replace, patch, delete on their own todos, so each todo has one
 * writer and the expected state is exact) and readers (lists, and probes of other people's todos
 * that must stay 404). A write whose answer never came (timeout, connection cut, 503) is
 * uncertain: either state is accepted for it, and it is never touched again.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const deadline = Date.now() + options.durationMs;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const outcomes = new Map<string, number>();
  const failureLatencies: number[] = [];
  const violations: string[] = [];
  const acknowledged = { creates: 0, updates: 0, deletes: 0 };
  const ledger = options.ledger ?? new Ledger();
  const { expected, uncertainTitles, ownerOf, uncertainIds } = ledger;
  const runId = Math.random().toString(36).slice(2, 7);
  let requests = 0;
  const { creates = 0, changes = 0 } = options.minimum ?? {};
  const running = () => {
    const now = Date.now();
    if (now < deadline) return true;
    const reached =
      acknowledged.creates >= creates && acknowledged.updates + acknowledged.deletes >= changes;
    return !reached && now < deadline + MINIMUM_GRACE_MS;
  };

  const send = async (user: LoadUser, method: string, path: string, body?: unknown) => {
    requests += 1;
    const started = performance.now();
    try {
      const res = await fetch(`${options.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.tokenFor ? await options.tokenFor(user) : user.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      const json = text ? JSON.parse(text) : undefined;
      const key = res.status < 300 ? String(res.status) : `${res.status} ${json?.code ?? ''}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (res.status >= 300) failureLatencies.push(performance.now() - started);
      return { status: res.status, json };
    } catch (error) {
      const key = (error as Error).name === 'TimeoutError' ? 'timeout' : 'transport';
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      failureLatencies.push(performance.now() - started);
      return { status: 0, json: undefined };
    }
  };

  const pick = (t: ApiTodo, owner: string): ModelTodo => ({
    owner,
    title: t.title,
    description: t.description ?? null,
    completed: t.completed,
  });

  const writer = async (user: LoadUser, w: number) => {
    const mine: string[] = [];
    let seq = 0;
    while (running()) {
      const roll = Math.random();
      if (mine.length === 0 || roll < 0.4) {
        const title = `${runId}-w${w}-${seq++}`;
        const res = await send(user, 'POST', '/todos/', { title, description: `by ${w}` });
        if (res.status === 201) {
          acknowledged.creates += 1;
          expected.set(res.json.id, { state: pick(res.json, user.sub), alternatives: [] });
          ownerOf.set(res.json.id, user.sub);
          mine.push(res.json.id);
        } else if (res.status === 0 || res.status >= 500) uncertainTitles.add(title);
        continue;
      }
      const index = Math.floor(Math.random() * mine.length);
      const id = mine[index] as string;
      const before = (expected.get(id) as Expected).state as ModelTodo;
      const completed = Math.random() < 0.5;
      let res: Awaited<ReturnType<typeof send>>;
      let intended: ModelTodo | null;
      if (roll > 0.85) {
        intended = null;
        res = await send(user, 'DELETE', `/todos/${id}`);
      } else if (roll < 0.6) {
        intended = { ...before, completed };
        res = await send(user, 'PATCH', `/todos/${id}`, { completed });
      } else {
        const title = `replaced-${runId}-${w}-${seq++}`;
        intended = { ...before, title, description: null, completed };
        res = await send(user, 'PUT', `/todos/${id}`, { title, completed });
      }
      if (res.status === 204) {
        acknowledged.deletes += 1;
        expected.set(id, { state: null, alternatives: [] });
        mine.splice(index, 1);
      } else if (res.status === 200) {
        acknowledged.updates += 1;
        const state = pick(res.json, user.sub);
        if (JSON.stringify(state) !== JSON.stringify(intended))
          violations.push(
            `${id}: answered ${JSON.stringify(state)} for ${JSON.stringify(intended)}`,
          );
        expected.set(id, { state, alternatives: [] });
      } else if (res.status === 0 || res.status >= 500) {
        // Unknown whether it was applied: accept either state, and leave the todo alone.
        expected.set(id, { state: before, alternatives: [intended] });
        uncertainIds.add(id);
        mine.splice(index, 1);
      } else {
        violations.push(`${intended === null ? 'DELETE' : 'UPDATE'} own ${id} → ${res.status}`);
      }
    }
  };

  const reader = async (n: number) => {
    while (running()) {
      const user = options.users[n % options.users.length] as LoadUser;
      n += 1;
      if (Math.random() < 0.5) {
        const res = await send(user, 'GET', '/todos/?limit=100');
        if (res.status === 200) {
          for (const item of res.json.items as ApiTodo[]) {
            const owner = ownerOf.get(item.id);
            if (owner !== undefined && owner !== user.sub)
              violations.push(`${user.sub} listed ${item.id} of ${owner}`);
          }
        }
      } else {
        const foreign = [...ownerOf.entries()].find(([, o]) => o !== user.sub)?.[0];
        if (foreign === undefined) continue;
        const res = await send(user, 'GET', `/todos/${foreign}`);
        if (res.status === 200) violations.push(`${user.sub} read ${foreign} of another owner`);
      }
    }
  };

  const writers = options.users.flatMap((user, u) =>
    Array.from({ length: options.writersPerUser ?? 2 }, (_, k) => writer(user, u * 100 + k)),
  );
  const readers = Array.from({ length: options.readers ?? 2 }, (_, n) => reader(n));
  await Promise.all([...writers, ...readers]);

  return {
    requests,
    outcomes,
    acknowledged,
    failureLatencies,
    violations,
    verify: (db) => ledger.verify(db),
  };
}

import { openDatabase } from '@todo-sso/api';
import { alice, bob, carol, startTestIssuer, testuser } from '@todo-sso/auth/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { people, startApiUnderTest } from '../reliability/support/api.js';
import { type ChildApi, spawnApi } from '../reliability/support/child-api.js';
import { SteppedClock } from '../reliability/support/clock.js';
import {
  postgresAvailable,
  postgresDatabase,
  type SuiteDatabase,
  sqliteDatabase,
} from '../reliability/support/databases.js';
import { type FuzzCaller, requestArb, sendAndRecord } from '../reliability/support/fuzz.js';
import { Ledger, type LoadResult, runLoad } from '../reliability/support/load.js';
import { TodoModel } from '../reliability/support/model.js';
import { startTcpProxy } from '../reliability/support/tcp-proxy.js';
import { ATTACKS } from '../security/attacks.js';
import { buildForgeKit } from '../security/kit.js';
import { startTrap } from '../security/trap.js';
import { formatSummary, type SoakRow } from './summary.js';

/** Total soak time, split across the phases below. */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const share = (fraction: number) => Math.max(2_000, SECONDS * 1000 * fraction);
const rows: SoakRow[] = [];
const add = (key: string, map: Record<string, number>, n = 1) => {
  map[key] = (map[key] ?? 0) + n;
};
const errorsOf = (result: LoadResult) =>
  Object.fromEntries(
    [...result.outcomes].filter(([k]) => !/^20[014]$/.test(k) && k !== '404 not_found'),
  );

describe(`soak for ${SECONDS} s`, () => {
  afterAll(() => {
    process.stdout.write(`\nSoak summary (SOAK_SECONDS=${SECONDS})\n${formatSummary(rows)}\n`);
  });

  it('refuses every forged token, over and over (attack flood over HTTP)', async () => {
    const started = performance.now();
    const database = sqliteDatabase();
    const idp = await startTestIssuer();
    const stranger = await startTestIssuer();
    const trap = await startTrap();
    const kit = await buildForgeKit(idp, stranger, trap.url);
    const api = await startApiUnderTest({ database: database.env, idp });
    const row: SoakRow = {
      phase: 'token attacks',
      seconds: 0,
      requests: 0,
      errors: {},
      acceptedAttacks: 0,
      lostWrites: 0,
      notes: [],
    };
    const tokens = await Promise.all(
      ATTACKS.map(async (a) => ({ attack: a, token: await a.forge(kit) })),
    );
    const deadline = Date.now() + share(0.15);
    const worker = async () => {
      while (Date.now() < deadline) {
        const { attack, token } =
          tokens[Math.floor(Math.random() * tokens.length)] ?? (tokens[0] as never);
        row.requests += 1;
        try {
          const res = await fetch(`${api.url}/todos/`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const body = (await res.json().catch(() => ({}))) as { code?: string };
          if (res.status < 400) {
            row.acceptedAttacks += 1;
            row.notes.push(`ACCEPTED: ${attack.name}`);
          } else if (res.status >= 500) add(`${res.status} ${body.code}`, row.errors);
          else if (body.code !== attack.code && res.status !== attack.status)
            add(`wrong code ${body.code} for ${attack.name}`, row.errors);
          else add(`${res.status} ${body.code ?? ''}`.trim(), row.errors);
        } catch {
          add('transport', row.errors);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    if (trap.hits.length > 0) row.notes.push(`${trap.hits.length} fetches of attacker URLs`);
    row.seconds = (performance.now() - started) / 1000;
    rows.push(row);
    await api.close();
    await stranger.close();
    await idp.close();
    await trap.close();
    await database.drop();
    expect(row.acceptedAttacks).toBe(0);
    expect(trap.hits).toEqual([]);
  });

  it('never answers 5xx to random requests and keeps the model exact (fuzz)', async () => {
    const started = performance.now();
    const database = sqliteDatabase();
    const api = await startApiUnderTest({ database: database.env, listen: false });
    const model = new TodoModel();
    const callers: FuzzCaller[] = await Promise.all(
      (['alice', 'bob', 'carol', 'admin', 'nobody'] as const).map(async (n) => ({
        sub: people[n].sub,
        token: await api.token(n),
      })),
    );
    const row: SoakRow = {
      phase: 'fuzz (fast-check)',
      seconds: 0,
      requests: 0,
      errors: {},
      acceptedAttacks: 0,
      lostWrites: 0,
      notes: [],
    };
    const result = await fc.check(
      fc.asyncProperty(
        requestArb(callers, () => [...model.todos.keys()]),
        async (request) => {
          row.requests += 1;
          const status = await sendAndRecord(api.app, model, request);
          if (status >= 400) add(String(status), row.errors);
        },
      ),
      {
        numRuns: Number.MAX_SAFE_INTEGER,
        interruptAfterTimeLimit: share(0.2),
        markInterruptAsFailure: false,
        endOnFailure: true,
      },
    );
    if (result.failed) {
      add('5xx or crash', row.errors);
      row.notes.push(
        `counterexample: ${fc.stringify(result.counterexample)} (seed ${result.seed})`,
      );
    }
    const diff = await model.diff(api.context.db);
    row.lostWrites = diff.length + model.violations.length;
    row.notes.push(...diff.slice(0, 5), ...model.violations.slice(0, 5));
    row.seconds = (performance.now() - started) / 1000;
    rows.push(row);
    await api.close();
    await database.drop();
    expect(result.failed).toBe(false);
    expect(row.lostWrites).toBe(0);
  });

  const engines: { name: 'sqlite' | 'postgres'; create: () => Promise<SuiteDatabase> }[] = [
    { name: 'sqlite', create: async () => sqliteDatabase() },
    ...(postgresAvailable ? [{ name: 'postgres' as const, create: postgresDatabase }] : []),
  ];
  it.each(engines)(
    'keeps every acknowledged write under load with key rotations on $name',
    async ({ name, create }) => {
      const started = performance.now();
      const clock = new SteppedClock();
      const database = await create();
      const idp = await startTestIssuer({ now: clock.ms });
      const api = await startApiUnderTest({ database: database.env, idp, clock });
      const users = [alice, bob, carol, testuser].map((u) => ({ sub: u.sub, token: '' }));
      const byUser = new Map([alice, bob, carol, testuser].map((u) => [u.sub, u]));
      const duration = share(0.2);
      const rotations = (async () => {
        for (let i = 0; i < 3; i += 1) {
          await new Promise((r) => setTimeout(r, duration / 4));
          clock.advance(31_000);
          await idp.rotateKeys();
        }
      })();
      const result = await runLoad({
        url: api.url,
        users,
        durationMs: duration,
        writersPerUser: 3,
        readers: 4,
        tokenFor: (u) => idp.accessToken(byUser.get(u.sub)),
      });
      await rotations;
      const diff = await result.verify(api.context.db);
      rows.push({
        phase: `load + rotation, ${name}`,
        seconds: (performance.now() - started) / 1000,
        requests: result.requests,
        errors: errorsOf(result),
        acceptedAttacks: 0,
        lostWrites: diff.length,
        notes: [...diff.slice(0, 5), ...result.violations.slice(0, 5)],
      });
      await api.close();
      await idp.close();
      await database.drop();
      expect(diff).toEqual([]);
    },
  );

  it.skipIf(!postgresAvailable)(
    'survives repeated PostgreSQL outages without losing a write',
    async () => {
      const started = performance.now();
      const database = await postgresDatabase();
      const proxy = await startTcpProxy(database.target ?? { host: '127.0.0.1', port: 5432 });
      const idp = await startTestIssuer();
      const env = { OIDC_ISSUER: idp.issuer, ...database.via(proxy.host, proxy.port) };
      const ledger = new Ledger();
      const row: SoakRow = {
        phase: 'PostgreSQL outages',
        seconds: 0,
        requests: 0,
        errors: {},
        acceptedAttacks: 0,
        lostWrites: 0,
        notes: [],
      };
      const users = await Promise.all(
        [alice, bob, carol].map(async (u) => ({ sub: u.sub, token: await idp.accessToken(u) })),
      );
      const deadline = Date.now() + share(0.25);
      let api: ChildApi = await spawnApi(env);
      let cycles = 0;
      while (Date.now() < deadline) {
        cycles += 1;
        const load = runLoad({ url: api.url, users, durationMs: 4_000, ledger, timeoutMs: 10_000 });
        await new Promise((r) => setTimeout(r, 1_500));
        await proxy.cut();
        await new Promise((r) => setTimeout(r, 1_000));
        await proxy.restore();
        const result = await load;
        row.requests += result.requests;
        for (const [k, v] of Object.entries(errorsOf(result))) add(k, row.errors, v);
        if (api.child.exitCode !== null || api.child.signalCode !== null) {
          add('API process exited', row.errors);
          const reason = /Error: [^\n]+/.exec(api.output())?.[0] ?? `exit ${api.child.exitCode}`;
          if (!row.notes.includes(reason)) row.notes.push(reason);
          api = await spawnApi(env); // as an orchestrator would restart it
        }
      }
      row.notes.push(`${cycles} cut/restore cycles`);
      await api.stop();
      const direct = openDatabase({ kind: 'postgres', url: database.env.DATABASE_URL ?? '' });
      const diff = await ledger.verify(direct);
      await direct.close();
      row.lostWrites = diff.length;
      row.notes.push(...diff.slice(0, 5));
      row.seconds = (performance.now() - started) / 1000;
      rows.push(row);
      await proxy.close();
      await idp.close();
      await database.drop();
      expect(diff).toEqual([]);
    },
  );
});

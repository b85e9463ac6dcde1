import {
  admin as adminUser,
  alice,
  bob,
  carol,
  nobody,
  startTestIssuer,
  type TestIssuer,
  type TestIssuerOptions,
} from '@todo-sso/auth/testing';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { ApiConfig, DatabaseConfig } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { type AppContext, type ContextOverrides, createContext } from '../../src/context.js';
import { createLogger } from '../../src/http/logger.js';
import { type RunningApi, startApi } from '../../src/start.js';
import { type Driver, sqliteDatabase, type TestDatabase, useTestDatabase } from './databases.js';
import { suiteFixture } from './fixture.js';

export { nobody };

export const users = { alice, bob, carol, admin: adminUser, nobody } as const;
export type UserName = keyof typeof users;

/**
 * The claims of a sign-in with a password and a one-time code just now (`acr` mfa, as the dev
 * IdP and Keycloak write them): what the default step-up under `/admin/` asks for (RFC 9470).
 */
export function mfaClaims(authTime = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: authTime };
}

/** API configuration pointing at a test issuer (or any running issuer) and a test database. */
export function testConfig(
  idp: Pick<TestIssuer, 'issuer'>,
  database: DatabaseConfig,
  env: Record<string, string> = {},
): ApiConfig {
  const config = loadConfig({
    ...(env.OIDC_ISSUERS === undefined && { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: 'todo-api' }),
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  return Object.freeze({ ...config, database });
}

/** One API instance (context + app) against a database and an issuer. */
export interface Instance {
  readonly context: AppContext;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Starts one API instance on `config`, logging nothing unless `overrides` gives a logger (and
 * with its clock, fetch or AuthZEN engine, if given).
 */
export async function startInstance(
  config: ApiConfig,
  overrides: ContextOverrides = {},
): Promise<Instance> {
  const context = await createContext(config, { logger: createLogger('silent'), ...overrides });
  const app = await buildApp(context);
  return {
    context,
    app,
    async close() {
      await app.close();
      await context.close();
    },
  };
}

/**
 * `count` API instances on `database` for the enclosing suite (none when `skip`), each with its
 * own pool, revocation set and token cache, as behind a load balancer; closed after it. The
 * array is filled before the suite's tests run.
 */
export function useInstances(
  skip: boolean,
  idp: Pick<TestIssuer, 'issuer'>,
  database: { readonly config: DatabaseConfig },
  count: number,
): Instance[] {
  const instances: Instance[] = [];
  beforeAll(async () => {
    if (skip) return;
    const config = testConfig(idp, database.config);
    instances.push(
      ...(await Promise.all(Array.from({ length: count }, () => startInstance(config)))),
    );
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
  });
  return instances;
}

/** `app.inject` at `instance` with `token` as the bearer token, and a JSON `payload` if given. */
export function injectWithToken(
  instance: Instance,
  token: string | undefined,
  method: InjectOptions['method'],
  url: string,
  payload?: object,
): Promise<LightMyRequestResponse> {
  return instance.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload && { payload }),
  });
}

/** Test issuer plus one instance, with a token per demo user. */
export interface Harness extends Instance {
  readonly idp: TestIssuer;
  readonly config: ApiConfig;
  readonly tokens: Record<UserName, string>;
  /** Moves the API's clock (not the issuer's) this many ms ahead of real time; 0 resets it. */
  setClockOffset(ms: number): void;
  /** `app.inject` with the user's bearer token. */
  as(user: UserName | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function startHarness(
  database: DatabaseConfig,
  env: Record<string, string> = {},
): Promise<Harness> {
  const idp = await startTestIssuer({ profile: 'keycloak' });
  const config = testConfig(idp, database, env);
  let offsetMs = 0;
  const instance = await startInstance(config, {
    clock: { now: () => new Date(Date.now() + offsetMs) },
  });
  const tokens = Object.fromEntries(
    await Promise.all(
      // admin signed in with a second factor, as admin work needs by default (STEP_UP_ACR).
      Object.entries(users).map(async ([name, user]) => [
        name,
        await idp.accessToken(user, name === 'admin' ? { claims: mfaClaims() } : {}),
      ]),
    ),
  ) as Record<UserName, string>;
  return {
    ...instance,
    idp,
    config,
    tokens,
    setClockOffset(ms) {
      offsetMs = ms;
    },
    as(user, options) {
      const headers = { ...(options.headers ?? {}) };
      if (user) headers.authorization = `Bearer ${tokens[user]}`;
      return instance.app.inject({ ...options, headers });
    },
    async close() {
      await instance.close();
      await idp.close();
    },
  };
}

/** A test issuer for the enclosing suite (none when `skip`), closed after it. */
export function useIssuer(skip: boolean, options?: TestIssuerOptions): TestIssuer {
  return suiteFixture(
    skip,
    () => startTestIssuer(options),
    (idp) => idp.close(),
  );
}

/**
 * A harness on a fresh database for the enclosing suite (none when `skip`); closed, and the
 * database dropped, after it. Its database is `h.config.database`.
 */
export function useHarness(driver: Pick<Driver, 'skip' | 'create'>): Harness {
  const database = useTestDatabase(driver);
  return suiteFixture(
    driver.skip,
    () => startHarness(database.config),
    (h) => h.close(),
  );
}

/** A test issuer, and the API on a real socket (`startApi`) on a fresh SQLite file. */
export interface RunningStack {
  readonly idp: TestIssuer;
  readonly database: TestDatabase;
  readonly api: RunningApi;
}

/**
 * A test issuer and the API listening on 127.0.0.1 (configured with `env`, logging nothing) for
 * the enclosing suite or file: for what `inject` cannot show (sockets, timeouts, raw requests).
 * Closed, and the database removed, after it.
 */
export function useRunningApi(env: Record<string, string> = {}): RunningStack {
  return suiteFixture(
    false,
    async () => {
      const idp = await startTestIssuer();
      const database = sqliteDatabase();
      try {
        const api = await startApi(testConfig(idp, database.config, env), {
          logger: createLogger('silent'),
        });
        return { idp, database, api };
      } catch (error) {
        await idp.close();
        await database.drop();
        throw error;
      }
    },
    async ({ idp, database, api }) => {
      await api.close();
      await idp.close();
      await database.drop();
    },
  );
}

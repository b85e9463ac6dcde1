import type { AddressInfo } from 'node:net';
import { type AppContext, buildApp, type Clock, createContext, loadConfig } from '@todo-sso/api';
import {
  admin,
  alice,
  bob,
  carol,
  nobody,
  startTestIssuer,
  type TestIssuer,
  type TestUser,
} from '@todo-sso/auth/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';

export { nobody };

/** Someone holding `users:manage` without being an administrator. */
export const manager: TestUser = {
  sub: '6f1c2a52-9b0e-4a7e-9d1a-000000000098',
  username: 'manager',
  email: 'manager@example.com',
  roles: [],
  permissions: ['users:manage'],
  department: 'sales',
};

export const people = { alice, bob, carol, admin, nobody, manager } as const;
export type Person = keyof typeof people;

/** A running API (listening on 127.0.0.1:0) against a test issuer and a suite database. */
export interface RunningApi {
  readonly idp: TestIssuer;
  readonly context: AppContext;
  readonly app: FastifyInstance;
  readonly url: string;
  /** A fresh access token for a person (5 minutes), signed in with a second factor. */
  token(person: Person | TestUser): Promise<string>;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** Database variables (`DATABASE_URL` or `DATA_DIR`). */
  readonly database: Record<string, string>;
  /** Reuse an issuer (it is then not closed with the API). */
  readonly idp?: TestIssuer;
  /** Extra environment for `loadConfig`. */
  readonly env?: Record<string, string>;
  /** Listen on a real socket; default true (false: `app.inject()` only). */
  readonly listen?: boolean;
  /** The API's clock (the authenticator's TTLs and cooldowns follow it). */
  readonly clock?: Clock;
}

/** Builds the API the way `startApi` does, but keeps the context for database checks. */
export async function startApiUnderTest(options: ApiOptions): Promise<RunningApi> {
  const idp = options.idp ?? (await startTestIssuer({ profile: 'keycloak' }));
  const config = loadConfig({
    OIDC_ISSUER: idp.issuer,
    OIDC_AUDIENCE: 'todo-api',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
    HOST: '127.0.0.1',
    PORT: '0',
    ...options.database,
    ...options.env,
  });
  const context = await createContext(config, {
    logger: pino({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const app = await buildApp(context);
  let url = '';
  if (options.listen !== false) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }
  return {
    idp,
    context,
    app,
    url,
    // Everyone here signed in with a password and a one-time code just now (acr mfa), as the
    // default step-up under /admin/ asks (RFC 9470); the step-up suites test the refusals.
    token: (person) =>
      idp.accessToken(typeof person === 'string' ? people[person] : person, {
        claims: { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: Math.floor(Date.now() / 1000) },
      }),
    async close() {
      await app.close();
      await context.close();
      if (!options.idp) await idp.close();
    },
  };
}

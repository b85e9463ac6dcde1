import { startTestIssuer, type TestIssuer, type TestUser } from '@todo-sso/auth/testing';
import type { LightMyRequestResponse } from 'fastify';
import type { EngineFactory } from '../../src/authzen/engine.js';
import { sqliteDatabase } from './databases.js';
import { suiteFixture } from './fixture.js';
import { type Instance, startInstance, testConfig } from './harness.js';

/** The API as an AuthZEN decision point, and the token of a policy enforcement point calling it. */
export interface DecisionPoint {
  readonly idp: TestIssuer;
  readonly app: Instance['app'];
  /** The enforcement point's access token. */
  readonly token: string;
  /** POSTs `body` (JSON, unless already a string) to `path` with the enforcement point's token. */
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
}

/**
 * For the enclosing suite: a test issuer, and one API instance on a fresh SQLite file answering
 * the AuthZEN endpoints with `engine` (configured with `env`); `pep` is the enforcement point's
 * identity at the issuer. Closed, and the file removed, after the suite.
 */
export function useDecisionPoint(options: {
  engine: EngineFactory;
  pep: Partial<TestUser>;
  env?: Record<string, string>;
}): DecisionPoint {
  return suiteFixture(
    false,
    async () => {
      const database = sqliteDatabase();
      const idp = await startTestIssuer({ profile: 'keycloak' });
      let instance: Instance | undefined;
      const close = async () => {
        await instance?.close();
        await idp.close();
        await database.drop();
      };
      try {
        instance = await startInstance(testConfig(idp, database.config, options.env), {
          authzenEngine: options.engine,
        });
        const { app } = instance;
        const token = await idp.accessToken(options.pep);
        return {
          idp,
          app,
          token,
          post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
            app.inject({
              method: 'POST',
              url: path,
              headers: {
                authorization: `Bearer ${token}`,
                'content-type': 'application/json',
                ...headers,
              },
              payload: typeof body === 'string' ? body : JSON.stringify(body),
            }),
          close,
        };
      } catch (error) {
        await close();
        throw error;
      }
    },
    (point) => point.close(),
  );
}

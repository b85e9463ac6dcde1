import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll } from 'vitest';
import { seedKeys } from '../../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './databases.js';
import { type Instance, startInstance, testConfig } from './harness.js';
import { adminTokenWithOtp } from './otp.js';

/** A suite's dev IdP, its administrator's token and the APIs it starts against it. */
export interface DevIdpSuite {
  /** The dev IdP: realm and Keycloak Admin REST API on one origin, as Keycloak serves them. */
  readonly idp: RunningIdp;
  /** The dev realm's `admin` at `acr` mfa, as admin work needs (one per IdP, see otp.ts). */
  readonly adminToken: string;
  /** An API with `env` on top of the test configuration, on a SQLite database of its own. */
  instance(env: Record<string, string>): Promise<Instance>;
}

/**
 * Starts the dev IdP for the suite (in a temporary data directory named after `name`) and
 * takes the admin token before its tests; after them closes every API `instance` started,
 * drops their databases, closes the IdP and removes its data.
 */
export function useDevIdp(name: string): DevIdpSuite {
  let idp: RunningIdp | undefined;
  let idpData = '';
  let adminToken = '';
  const databases: TestDatabase[] = [];
  const instances: Instance[] = [];

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), `${name}-`));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    adminToken = await adminTokenWithOtp(idp.issuer);
  });

  afterAll(async () => {
    for (const i of instances) await i.close();
    for (const d of databases) await d.drop();
    await idp?.close();
    if (idpData) rmSync(idpData, { recursive: true, force: true });
  });

  const running = (): RunningIdp => {
    if (!idp) throw new Error('the dev IdP starts in beforeAll');
    return idp;
  };
  return {
    get idp() {
      return running();
    },
    get adminToken() {
      return adminToken;
    },
    instance: async (env) => {
      const database = sqliteDatabase();
      databases.push(database);
      const instance = await startInstance(testConfig(running(), database.config, env));
      instances.push(instance);
      return instance;
    },
  };
}

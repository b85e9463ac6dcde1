import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { type RealmRepresentation, type RunningIdp, startIdp } from '@todo-sso/idp';
import { seedKeys } from '../../../idp/test/seed-keys.js';

/**
 * The real parts on 127.0.0.1: the dev IdP with the repository's realm (back-channel logout
 * pointed at this API) and the API on a fresh SQLite file, both over HTTP.
 */
const HOST = '127.0.0.1';
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export interface Stack {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * A port nothing listens on, for a provider or an API that is down: 2, below the ephemeral
 * range and not one of the ports fetch refuses outright (9 is a "bad port"). A port picked free
 * and closed could be given to another test's server before it is used, and a connection meant
 * to be refused would then be answered.
 */
export const CLOSED_PORT = 2;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The repository's realm file, parsed, for a test to patch. */
export async function devRealm(): Promise<RealmRepresentation> {
  return JSON.parse(
    await readFile(join(repoRoot, 'deploy/keycloak/realm-todo-app.json'), 'utf8'),
  ) as RealmRepresentation;
}

type StackOptions = {
  realm?: RealmRepresentation;
  accessTokenLifespan?: number;
  /** More of the API's environment (`OIDC_DPOP`, `DPOP_NONCE_SECRET`, …). */
  apiEnv?: Record<string, string>;
};

/**
 * The dev IdP and the API on 127.0.0.1. The API's port is picked free before the IdP starts (its
 * realm names the API's URL), so another socket may take it before the API binds it (a client
 * connection's local port comes from the same range): the whole stack is then started again.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(options);
    } catch (error) {
      if (attempt >= 3 || (error as Error).name !== 'PortInUseError') throw error;
    }
  }
}

async function startStackOnce(options: StackOptions): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'todo-cli-'));
  const apiPort = await freePort();
  const apiUrl = `http://${HOST}:${apiPort}`;
  const realm = options.realm ?? (await devRealm());
  for (const client of realm.clients ?? []) {
    if (client.attributes?.['backchannel.logout.url'])
      client.attributes['backchannel.logout.url'] = `${apiUrl}/auth/backchannel-logout`;
  }
  let idp: RunningIdp | undefined;
  let api: RunningApi | undefined;
  try {
    idp = await startIdp({
      host: HOST,
      port: 0,
      realm,
      dataDir: seedKeys(join(dataDir, 'idp')),
      ...(options.accessTokenLifespan ? { accessTokenLifespan: options.accessTokenLifespan } : {}),
    });
    api = await startApi(
      loadConfig({
        HOST,
        PORT: String(apiPort),
        OIDC_ISSUER: idp.issuer,
        DATA_DIR: join(dataDir, 'api'),
        LOG_LEVEL: 'silent',
        ...options.apiEnv,
      }),
    );
  } catch (e) {
    await idp?.close();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const [runningIdp, runningApi] = [idp, api];
  return {
    issuer: runningIdp.issuer,
    apiUrl,
    dataDir,
    async close() {
      await runningApi.close();
      await runningIdp.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Tokens for a dev-realm person by the password grant on todo-cli (the dev IdP allows it for tests). */
export async function passwordGrant(
  issuer: string,
  user = 'alice',
): Promise<{ access_token: string; id_token: string; refresh_token: string }> {
  const form = new URLSearchParams({
    grant_type: 'password',
    client_id: 'todo-cli',
    username: user,
    password: user,
    scope: 'openid',
  });
  const answer = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: form,
  });
  if (!answer.ok) throw new Error(`password grant for ${user}: ${answer.status}`);
  return (await answer.json()) as { access_token: string; id_token: string; refresh_token: string };
}

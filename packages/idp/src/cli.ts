#!/usr/bin/env node
/**
 * `npm run idp` — runs the development identity provider alone, configured by the environment:
 * IDP_PROFILE (keycloak | authentik), PORT, HOST, IDP_PUBLIC_URL, DATA_DIR (keys go to
 * `$DATA_DIR/idp`), REALM_FILE, ACCESS_TOKEN_LIFESPAN (seconds).
 * `npm run idp -- rotate-keys` adds a new signing key (the old one stays published for a day).
 */
// First: silences oidc-provider's runtime warning before that module loads.
import './runtime-warning.js';
import { join, resolve } from 'node:path';
import { IdpError } from './errors.js';
import { DEV_ONLY } from './pages/templates.js';
import { DEFAULT_IDP_PROFILE, IDP_PROFILES, isProfile } from './profiles/index.js';
import { loadRealm } from './realm/load.js';
import { DEFAULT_REALM_FILE, startIdp } from './server.js';
import { rotateKeys } from './tokens/keys.js';

const env = process.env;
// npm runs workspace scripts inside the workspace; relative paths mean the caller's directory.
const fromCaller = (path: string) => resolve(env.INIT_CWD ?? process.cwd(), path);
// DEFAULT_REALM_FILE is <repo>/deploy/keycloak/…; keys default to <repo>/.data/idp.
const DEFAULT_DATA_DIR = resolve(DEFAULT_REALM_FILE, '../../../.data/idp');

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** An integer variable within [min, max]; unset or empty is undefined (the default). */
function intFromEnv(name: string, min: number, max: number, what: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = /^[0-9]+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(`${name} must be ${what}, an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/**
 * IDP_PUBLIC_URL: the base of every issuer, so an http(s) URL with no query or fragment
 * (OpenID Connect Discovery 1.0 §3, RFC 8414 §2); unset or empty is undefined (the default).
 */
function publicUrlFromEnv(): string | undefined {
  const value = env.IDP_PUBLIC_URL;
  if (value === undefined || value.trim() === '') return undefined;
  const url = URL.canParse(value.trim()) ? new URL(value.trim()) : undefined;
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== '' ||
    value.includes('?') ||
    value.includes('#')
  )
    fail(
      `IDP_PUBLIC_URL must be the http:// or https:// URL clients reach the provider at, with no query or fragment (e.g. https://sso.example.com), got "${value}"`,
    );
  return value.trim();
}

const log = {
  info: (m: string) => console.log(`[idp] ${m}`),
  warn: (m: string) => console.warn(`[idp] ${m}`),
  error: (m: string) => console.error(`[idp] ${m}`),
};

async function main(): Promise<void> {
  const dataDir = env.DATA_DIR ? join(fromCaller(env.DATA_DIR), 'idp') : DEFAULT_DATA_DIR;
  const command = process.argv[2];
  if (command === 'rotate-keys') {
    const { activeKid, publishedKids } = await rotateKeys(dataDir);
    console.log(`new signing key ${activeKid}; published: ${publishedKids.join(', ')}`);
    console.log('restart the identity provider to sign with it.');
    return;
  }
  if (command !== undefined) fail(`unknown command "${command}" (known: rotate-keys)`);

  const profile = env.IDP_PROFILE ?? DEFAULT_IDP_PROFILE;
  if (!isProfile(profile)) {
    const names = Object.keys(IDP_PROFILES).join(' or ');
    fail(`IDP_PROFILE must be ${names}, got "${profile}"`);
  }
  const realmFile = env.REALM_FILE ? fromCaller(env.REALM_FILE) : DEFAULT_REALM_FILE;
  const realm = loadRealm(realmFile);
  const idp = await startIdp({
    profile,
    host: env.HOST || 'localhost',
    port: intFromEnv('PORT', 0, 65535, 'a TCP port (0: any free one)'),
    publicUrl: publicUrlFromEnv(),
    realm: realmFile,
    dataDir,
    accessTokenLifespan: intFromEnv('ACCESS_TOKEN_LIFESPAN', 1, 86_400, 'a lifetime in seconds'),
    logger: log,
  });

  const line = '='.repeat(78);
  console.log(`${line}\n  ${DEV_ONLY}\n${line}`);
  console.log(`  profile   ${profile}`);
  console.log(`  issuer    ${idp.issuer}`);
  console.log(`  realm     ${realmFile}`);
  console.log(`  keys      ${dataDir}`);
  console.log('  demo users (password = username):');
  // People who sign in with their username as password, as the login page lists them: not a
  // client's service account, which signs in with its client's credentials only.
  const demo = [...realm.users.values()].filter(
    (user) => user.enabled && !user.serviceAccountClientId && user.password === user.username,
  );
  for (const user of demo) {
    const roles = [...user.realmRoles, ...Object.values(user.clientRoles).flat()].join(', ');
    const dept = user.attributes.department?.[0];
    console.log(`    ${user.username.padEnd(10)} ${roles}${dept ? `  (department ${dept})` : ''}`);
  }
  console.log(line);

  const stop = () => {
    idp.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof IdpError) fail(error.message);
  throw error;
});

import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { IdpError } from '../errors.js';

/** A private JWK as stored under the data directory. */
export type PrivateJwk = Record<string, unknown> & { kid: string; kty: string };

interface StoredSigningKey {
  jwk: PrivateJwk;
  createdAt: number;
  /** Set when a newer key took over; the key stays published for the grace period. */
  retiredAt?: number;
}

interface KeyFile {
  version: 1;
  signing: StoredSigningKey[];
  encryption: PrivateJwk;
}

/** The keys in use: the active signing key first, then retired keys still in their grace period. */
export interface IdpKeys {
  signing: PrivateJwk[];
  encryption: PrivateJwk;
}

/** How long a rotated-out signing key stays in the JWKS (seconds). */
export const DEFAULT_KEY_GRACE_SECONDS = 24 * 60 * 60;

const FILE = 'keys.json';

const generateRsa = promisify(generateKeyPair);

/**
 * A new 2048-bit RSA key, generated on libuv's thread pool rather than the main thread (0.1 to
 * 0.3 s of CPU each): a first start makes two in parallel, while the servers load.
 */
async function newRsaJwk(alg: 'RS256' | 'RSA-OAEP', use: 'sig' | 'enc'): Promise<PrivateJwk> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kty: 'RSA', kid: randomBytes(16).toString('base64url'), alg, use };
}

async function readKeyFile(dataDir: string): Promise<KeyFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdpError('ERR_KEYS', `cannot read ${join(dataDir, FILE)}`, { cause: error });
  }
  try {
    const file = JSON.parse(text) as KeyFile;
    if (file.version !== 1 || !Array.isArray(file.signing) || !file.encryption) throw new Error();
    return file;
  } catch (cause) {
    throw new IdpError('ERR_KEYS', `${join(dataDir, FILE)} is not a key file`, { cause });
  }
}

async function writeKeyFile(dataDir: string, file: KeyFile): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const target = join(dataDir, FILE);
  // A name of its own per write, so two writes never share (and interleave in) one temp file.
  const temp = `${target}.${process.pid}.${randomUUID()}.tmp`;
  // Private keys: owner-only permissions, written atomically.
  await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, target);
}

function current(file: KeyFile, graceSeconds: number, now: number): IdpKeys {
  const signing = file.signing
    .filter((k) => k.retiredAt === undefined || now - k.retiredAt < graceSeconds)
    .sort((a, b) => Number(a.retiredAt !== undefined) - Number(b.retiredAt !== undefined))
    .map((k) => k.jwk);
  return { signing, encryption: file.encryption };
}

/** Loads in progress per data directory: concurrent callers share one, so one key is made. */
const loading = new Map<string, Promise<KeyFile>>();

/**
 * Loads the signing and encryption keys from `dataDir`, creating them on first use, so tokens
 * stay verifiable across restarts. Calls for the same directory while one is under way share
 * its key file, whatever their grace period (`npm start` begins generating before the identity
 * provider has loaded); each then keeps the retired keys its own grace period allows.
 */
export async function loadKeys(
  dataDir: string,
  graceSeconds = DEFAULT_KEY_GRACE_SECONDS,
): Promise<IdpKeys> {
  const key = resolve(dataDir);
  let pending = loading.get(key);
  if (pending === undefined) {
    pending = readOrCreateKeyFile(dataDir).finally(() => loading.delete(key));
    loading.set(key, pending);
  }
  const file = await pending;
  return current(file, graceSeconds, Math.floor(Date.now() / 1000));
}

async function readOrCreateKeyFile(dataDir: string): Promise<KeyFile> {
  const file = await readKeyFile(dataDir);
  if (file?.signing.some((k) => k.retiredAt === undefined)) return file;
  const now = Math.floor(Date.now() / 1000);
  const [signing, encryption] = await Promise.all([
    newRsaJwk('RS256', 'sig'),
    file?.encryption ?? newRsaJwk('RSA-OAEP', 'enc'),
  ]);
  const created: KeyFile = {
    version: 1,
    signing: [{ jwk: signing, createdAt: now }, ...(file?.signing ?? [])],
    encryption,
  };
  await writeKeyFile(dataDir, created);
  return created;
}

/**
 * Adds a new active signing key; the previous one stays published for `graceSeconds` so that
 * tokens it signed keep verifying, then is dropped. A running IdP picks the new key up on its
 * next start.
 *
 * @example
 * const { activeKid, publishedKids } = await rotateKeys('.data/idp');
 */
export async function rotateKeys(
  dataDir: string,
  graceSeconds = DEFAULT_KEY_GRACE_SECONDS,
): Promise<{ activeKid: string; publishedKids: string[] }> {
  // Rotations of one directory run one after another: two that overlapped would both read the
  // same file and the later write would drop the earlier one's new key, which its caller had
  // already been told was active.
  const key = resolve(dataDir);
  const previous = rotating.get(key) ?? Promise.resolve();
  const run = previous.then(() => rotateNow(dataDir, graceSeconds));
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  rotating.set(key, settled);
  void settled.then(() => {
    if (rotating.get(key) === settled) rotating.delete(key);
  });
  return run;
}

/** Rotations under way per data directory, so that each starts from the file the last wrote. */
const rotating = new Map<string, Promise<void>>();

async function rotateNow(
  dataDir: string,
  graceSeconds: number,
): Promise<{ activeKid: string; publishedKids: string[] }> {
  await loadKeys(dataDir, graceSeconds);
  const fresh = await newRsaJwk('RS256', 'sig');
  const file = (await readKeyFile(dataDir)) as KeyFile;
  const now = Math.floor(Date.now() / 1000);
  const kept = file.signing
    .map((k) => (k.retiredAt === undefined ? { ...k, retiredAt: now } : k))
    .filter((k) => now - (k.retiredAt ?? now) < graceSeconds);
  const next: KeyFile = { ...file, signing: [{ jwk: fresh, createdAt: now }, ...kept] };
  await writeKeyFile(dataDir, next);
  const keys = current(next, graceSeconds, now);
  return { activeKid: fresh.kid, publishedKids: keys.signing.map((k) => k.kid) };
}

#!/usr/bin/env node
// Instructions per DPoP proof of the authenticator's sender check (`Authenticator.checkSenderNow`:
// RFC 9449 §4.3 and §11.1, the in-memory replay store) against the raw `crypto.verify` of the
// same proofs' signatures, in one process under callgrind, so the proof's bookkeeping beyond its
// one ES256 verification is a count the load of a shared machine does not change. Run it under
// valgrind (below); it turns callgrind's instrumentation on around each measured phase itself
// (`callgrind_control` on its own process) and dumps each phase apart; then
// `callgrind-jit.mjs /tmp/perf-<pid>.map N DUMP` names the generated code by function.
//
// Usage: valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=DIR/cg.out \
//          node --perf-basic-prof bench/tools/callgrind-dpop.mjs [n] [warm-up] [ROOT]
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const [nArg = '2000', warmArg = '6000', root = process.cwd()] = process.argv.slice(2);
const n = Number(nArg);
const warm = Number(warmArg);
const auth = await import(pathToFileURL(`${root}/packages/auth/dist/index.js`).href);
const testing = await import(pathToFileURL(`${root}/packages/auth/dist/testing/index.js`).href);
const run = promisify(execFile);
const control = (...args) =>
  run('callgrind_control', [...args, String(process.pid)]).catch(() => undefined);

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicKey.export({ format: 'jwk' });
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sha = (text) => createHash('sha256').update(text).digest('base64url');
const jkt = sha(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }));

// One instant for the whole run: under valgrind a thousand proofs take longer to sign and check
// than a proof's 60 s lifetime, so the verifier's clock stands still at their `iat`.
const startMs = Date.now();
const now = () => startMs;
const issuer = await testing.startTestIssuer({ profile: 'keycloak' });
const authenticator = auth.createAuthenticator({
  now,
  // The issuer answers from this very process, slowed down by valgrind.
  httpTimeoutMs: 600_000,
  issuers: [issuer.issuerOptions({ audience: 'todo-api' })],
  dpop: { replay: new auth.MemoryDpopReplayCache(undefined, now) },
});
await authenticator.ready?.();
const token = await issuer.accessToken(
  { sub: 'dpop-bench', roles: ['user'] },
  {
    claims: { cnf: { jkt } },
    issuedAt: Math.floor(startMs / 1000),
  },
);
const principal = await authenticator.authenticate(token);
// The request URI is made per request, as the request hook makes it (origin, then the target).
let origin = 'http://127.0.0.1:8000';
let target = '/me';
const url = `${origin}${target}`;
const head = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk });
const ath = sha(token);

/** `count` proofs of `GET url`, each with its own `jti`, signed now. */
function proofs(count) {
  const iat = Math.floor(startMs / 1000);
  return Array.from({ length: count }, () => {
    const input = `${head}.${b64({ jti: randomUUID(), htm: 'GET', htu: url, iat, ath })}`;
    const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  });
}

const key = { key: publicKey, dsaEncoding: 'ieee-p1363' };
const PHASES = {
  /** The authenticator's whole sender check of each proof, as the request hook calls it. */
  check: (proof) => {
    const sender = authenticator.checkSenderNow(principal, {
      scheme: 'DPoP',
      token,
      proof: [proof],
      method: 'GET',
      url: `${origin}${target}`,
    });
    if (sender?.jkt !== jkt) throw new Error('proof refused');
  },
  /** Its signature alone, in the server's call shape. */
  raw: (proof) => {
    const dot = proof.lastIndexOf('.');
    const ok = verify(
      'sha256',
      Buffer.from(proof.slice(0, dot), 'latin1'),
      key,
      Buffer.from(proof.slice(dot + 1), 'base64url'),
    );
    if (!ok) throw new Error('signature refused');
  },
};

for (const [name, phase] of Object.entries(PHASES)) {
  for (let done = 0; done < warm; done += 1000) for (const p of proofs(1000)) phase(p);
  const measured = proofs(n);
  await control('--instr=on');
  await control('--zero');
  for (const p of measured) phase(p);
  await control(`--dump=${name}`);
  await control('--instr=off');
  console.log(`${name}: ${n} proofs dumped`);
}
origin = target = undefined;
await issuer.close();

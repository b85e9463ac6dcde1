// Worker thread: signs access tokens with the test issuer's private key through node:crypto
// (RSA-2048 signing is ~1 ms; two workers use both cores before the measurements start).
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const { pkcs8, header, template, claims: extra, from, to, nowSec, expiresInSec } = workerData;
const key = createPrivateKey(pkcs8);
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const head = b64(header);
const tokens = [];
for (let i = from; i < to; i++) {
  const id = String(i).padStart(12, '0');
  const username = `user${id.slice(-5)}`;
  const claims = {
    ...template,
    sub: `00000000-0000-4000-8000-${id}`,
    preferred_username: username,
    email: `${username}@example.com`,
    name: `Bench User ${i}`,
    jti: randomUUID(),
    sid: randomUUID(),
    iat: nowSec,
    exp: nowSec + expiresInSec,
    ...extra,
  };
  const input = `${head}.${b64(claims)}`;
  tokens.push(`${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`);
}
parentPort.postMessage(tokens);

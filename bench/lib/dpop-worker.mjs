// Worker thread: signs DPoP proofs (RFC 9449 §4.2) with one ES256 client key through
// node:crypto, each with its own jti, for one method and URI, bound to one access token (ath).
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const { pkcs8, jwk, htm, htu, ath, nonce, count } = workerData;
const key = createPrivateKey(pkcs8);
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const head = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk });
const iat = Math.floor(Date.now() / 1000);
const proofs = [];
for (let i = 0; i < count; i++) {
  const input = `${head}.${b64({ jti: randomUUID(), htm, htu, iat, ath, ...(nonce ? { nonce } : {}) })}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  proofs.push(`${input}.${sig.toString('base64url')}`);
}
parentPort.postMessage(proofs);

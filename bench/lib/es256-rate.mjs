// Child process (pinned to the server core): raw node:crypto ES256 verifications per CPU
// second — the one signature check a DPoP proof adds to a request. argv[2]: rounds, argv[3]:
// seconds per round; prints the median rate as one JSON line.
import { generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';

const [rounds = 3, seconds = 1] = process.argv.slice(2).map(Number);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signed = Array.from({ length: 2000 }, () => {
  const data = Buffer.from(
    `eyJ0eXAiOiJkcG9wK2p3dCJ9.${Buffer.from(randomUUID()).toString('base64url')}`,
  );
  return { data, sig: sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }) };
});
const key = { key: publicKey, dsaEncoding: 'ieee-p1363' };
let i = 0;
const rate = (ms) => {
  const end = performance.now() + ms;
  const cpu = process.cpuUsage();
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) {
      const s = signed[i++ % signed.length];
      if (!verify('sha256', s.data, key, s.sig)) throw new Error('ES256 verify failed');
    }
    n += 100;
  }
  const used = process.cpuUsage(cpu);
  return n / ((used.user + used.system) / 1e6);
};
rate(300);
const runs = Array.from({ length: rounds }, () => rate(seconds * 1000)).sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ es256: runs[runs.length >> 1], runs })}\n`);

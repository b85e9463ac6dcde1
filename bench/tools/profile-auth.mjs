#!/usr/bin/env node
// In-process profile of authenticate(): `node --cpu-prof bench/tools/profile-auth.mjs cold|warm`.
import { createAuthenticator } from '@todo-sso/auth';
import { startIssuer } from '../lib/tokens.mjs';

const mode = process.argv[2] ?? 'cold';
const iss = await startIssuer();
const pool = await iss.mint(mode === 'cold' ? 12_000 : 1);
const auth = createAuthenticator({ issuers: [iss.issuer.issuerOptions({ audience: 'todo-api' })] });
await auth.ready();
let i = 0;
const end = performance.now() + 4000;
let n = 0;
const t0 = performance.now();
while (performance.now() < end) {
  for (let k = 0; k < 100; k++) await auth.authenticate(pool[i++ % pool.length]);
  n += 100;
}
console.log(mode, Math.round(n / ((performance.now() - t0) / 1000)), '/s');
await iss.issuer.close();

// The request path's revocation lookup (`RevocationSet.isRevoked`, run by the authenticator on
// every request, cache hits too) with many agents' refusals held while their identity provider
// has not ended their grant: ns per call, with nothing held, for a first-party token, for
// another person's use of a held agent, and for a held agent's own token (refused).
// Usage: node bench/tools/revocation-holds.mjs [held agents] [calls] [rounds]  (after npm run build)
import { clientRevocationValue, RevocationSet } from '../../packages/api/dist/revocation/set.js';

const [heldArg = '10000', callsArg = '5000000', roundsArg = '3'] = process.argv.slice(2);
const held = Number(heldArg);
const calls = Number(callsArg);
const issuer = 'http://127.0.0.1:8080/realms/todo-app';
const until = new Date(Date.now() + 300_000);

function hold(sub, clientId) {
  return {
    issuer,
    kind: 'client',
    value: clientRevocationValue(sub, clientId),
    notBefore: until.toISOString(),
    expiresAt: new Date(until.getTime() + 3_660_000).toISOString(),
  };
}

function nsPerCall(set, principal) {
  let refused = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if (set.isRevoked(principal, Date.now, 30_000)) refused++;
  const ns = Number(process.hrtime.bigint() - started) / calls;
  return { ns, refused };
}

const empty = new RevocationSet();
const full = new RevocationSet();
for (let i = 0; i < held; i++) full.add(hold(`user-${i}`, `agent-${i % 50}`));
const base = { issuer, sessionId: 's1', issuedAt: Math.floor(Date.now() / 1000) };
const web = { ...base, subject: 'user-7', clientId: 'todo-ui' };
const othersUse = { ...base, subject: `user-${held + 1}`, clientId: 'agent-7' };
const heldAgent = { ...base, subject: 'user-7', clientId: 'agent-7' };
for (let round = 1; round <= Number(roundsArg); round++) {
  const figures = [
    ['nothing held', nsPerCall(empty, othersUse)],
    [`${held} held, first-party token`, nsPerCall(full, web)],
    [`${held} held, another person's use of a held agent`, nsPerCall(full, othersUse)],
    [`${held} held, the held agent (refused)`, nsPerCall(full, heldAgent)],
  ];
  console.log(
    `round ${round}: ${figures.map(([name, f]) => `${name} ${f.ns.toFixed(1)} ns`).join('; ')}`,
  );
}

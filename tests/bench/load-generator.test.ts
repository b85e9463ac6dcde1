import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const hasWrk = /^wrk /m.test(
  (({ stdout, stderr }) => `${stdout ?? ''}${stderr ?? ''}`)(
    spawnSync('wrk', ['-v'], { encoding: 'utf8' }),
  ),
);

interface Check {
  generator: string;
  run: string;
  reported: Record<string, number>;
  answered: Record<string, number>;
  ok: boolean;
  problems: string[];
}

/**
 * The bench's load generators against the API's own request counter: `bench/tools/
 * check-loadgen.mjs` loads a real API process (the built `packages/api/dist/server.js`, real
 * signed tokens) with wrk, when installed, and with autocannon, and compares each run's
 * requests and statuses with the API's `http_requests_total` (GET /metrics). A run of a fixed
 * number of single-use requests must agree exactly; a timed run may leave one request per
 * connection in flight at its end; malformed tokens must be reported as the 400/401 the API sent.
 */
describe('bench load generators', () => {
  it('report what the API answered, status by status', { timeout: 120_000 }, () => {
    const run = spawnSync(process.execPath, ['bench/tools/check-loadgen.mjs', '--json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BENCH_LOADGEN: '' },
    });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    expect(line.startsWith('['), `${run.stderr}\n${run.stdout}`).toBe(true);
    const checks = JSON.parse(line) as Check[];
    const generators = new Set(checks.map((c) => c.generator));
    expect(generators).toEqual(new Set(hasWrk ? ['wrk', 'autocannon'] : ['autocannon']));
    for (const c of checks) expect(c.problems, `${c.generator}: ${c.run}`).toEqual([]);
    const exact = checks.filter((c) => c.run.includes('a new token each'));
    for (const c of exact) expect(c.reported).toEqual({ 200: 1500 });
    for (const c of exact) expect(c.answered).toEqual({ 200: 1500 });
    const garbage = checks.filter((c) => c.run.includes('malformed'));
    for (const c of garbage) expect(Object.keys(c.reported).sort()).toEqual(['400', '401']);
    expect(run.status).toBe(0);
  });
});

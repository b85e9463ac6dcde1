// Figure 7: `npm start` — time until the IdP, the API and the web app all answer, and the idle
// resident memory of the whole process tree (npm, the shell it runs, node and anything below).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { commOf, freePort, processTree, ROOT, rssOf, sleep } from '../lib/proc.mjs';
import { fmt } from '../lib/table.mjs';

async function answers(url) {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** One `npm start`: returns seconds to ready and the RSS of the tree after `idleMs`. */
async function startOnce(dataDir, idleMs) {
  const [idp, api, web] = await Promise.all([freePort(), freePort(), freePort()]);
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: {
      ...process.env,
      IDP_PORT: String(idp),
      API_PORT: String(api),
      WEB_PORT: String(web),
      DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let pids = [];
  try {
    const urls = [
      `http://localhost:${idp}/realms/todo-app/.well-known/openid-configuration`,
      `http://localhost:${api}/healthz`,
      `http://localhost:${web}/`,
    ];
    const deadline = performance.now() + 60_000;
    let ready = false;
    while (!ready && performance.now() < deadline && child.exitCode === null) {
      ready = (await Promise.all(urls.map(answers))).every(Boolean);
      if (!ready) await sleep(20);
    }
    if (!ready) throw new Error(`npm start did not become ready:\n${out.slice(-2000)}`);
    const seconds = (performance.now() - started) / 1000;
    await sleep(idleMs);
    pids = processTree(child.pid);
    const parts = pids.map((pid) => ({ pid, name: commOf(pid), rss: rssOf(pid) }));
    return { seconds, parts, rebuilt: /Building/.test(out) };
  } finally {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    // npm forwards the signal; anything of this tree still running is stopped by its pid.
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

/** Seconds `npx tsc -b` takes right now (what start.mjs spends when it believes dist is stale). */
function noopBuildSeconds() {
  const t = performance.now();
  spawnSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'ignore' });
  return (performance.now() - t) / 1000;
}

export async function stack(ctx, table) {
  const dataDir = mkdtempSync(join(ctx.tmp, 'stack-'));
  const build = noopBuildSeconds();
  const first = await startOnce(dataDir, ctx.cfg.idleMs);
  const again = await startOnce(dataDir, ctx.cfg.idleMs);
  const mb = (b) => b / 1024 / 1024;
  const total = again.parts.reduce((a, p) => a + p.rss, 0);
  const breakdown = again.parts.map((p) => `${p.name} ${fmt(mb(p.rss))}`).join(' + ');
  table.add('7', 'idle RSS of the npm start process tree', `${fmt(mb(total))} MB`, {
    target: '≤ 200 MB',
    met: mb(total) <= 200,
    note: `${breakdown} MB after ${fmt(ctx.cfg.idleMs / 1000)} s idle`,
  });
  table.add('7', 'npm start → ready, first start (empty data dir)', `${fmt(first.seconds, 2)} s`, {
    target: '≤ 5 s',
    met: first.seconds <= 5,
    note: `until IdP discovery, API /healthz and web / all answer${first.rebuilt ? `; includes start.mjs's rebuild (tsc -b just before took ${fmt(build, 1)} s)` : ''}`,
  });
  table.add(
    '7',
    'npm start → ready, restart (keys and database exist)',
    `${fmt(again.seconds, 2)} s`,
    {
      target: '≤ 5 s',
      met: again.seconds <= 5,
      note: again.rebuilt
        ? `includes start.mjs's rebuild (tsc -b just before: ${fmt(build, 1)} s)`
        : '',
    },
  );
}

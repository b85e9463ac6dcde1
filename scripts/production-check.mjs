#!/usr/bin/env node
// The production install, reproduced without Docker, then started and used:
//
//   node scripts/production-check.mjs        (after `npm run build`; KEEP=1 keeps the files)
//
// 1. The images: deploy/docker/api.Dockerfile and web.Dockerfile are followed step by step
//    from a build context of the repository's tracked files (what `docker build` would get),
//    each stage a directory standing for its root filesystem: COPY copies exactly what the
//    Dockerfile lists, RUN runs its npm and npx commands (`npm ci`, `tsc -b`, `vite build`).
//    A file missing from a COPY list, or a build step needing one, fails here. As with
//    BuildKit, a stage starts once the stages it needs have ended, so the independent ones
//    (the API image's build and deps, the web image's build) and part 2 run at the same time.
// 2. A production install of the repository as an operator without Docker makes it: the
//    tracked files, `npm ci --omit=dev` (install scripts on, as npm runs them), and the
//    compiled output (`packages/*/dist`, built in this checkout) copied in.
// 3. The API image's command (its CMD, ENV and HEALTHCHECK), and from that install the API
//    (`npm run api`), the development IdP (`npm run idp`) and the web app's server
//    (`npm start -w @todo-sso/web`) are started with --throw-deprecation; a person signs in,
//    lists and adds a todo through both APIs, the web app serves its page and configuration,
//    and `npm run doctor` accepts the setup. A runtime import of a devDependency, a script
//    calling a dev tool, a deprecated API: each fails here.
//
// Runs on the `node` it is started with (scripts/node-versions.sh runs it on others).
// Exit status 0 when every step passed, else 1.
//
// Why this file is long: the three parts share one work directory, one set of started servers
// and one report; split, each would repeat that set-up, and the order of the steps is the
// story a reader follows (an image's stages, then the install, then its use).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { endGroupsOnSignal } from './lib/process-groups.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'todo-sso-production-'));
const started = Date.now();
const children = [];
let failures = 0;
// Interrupted, the check ends the servers it started and removes its files (unless KEEP=1), as
// the `finally` at the end does when it runs to completion.
endGroupsOnSignal(children, () => {
  if (process.env.KEEP !== '1') rmSync(work, { recursive: true, force: true });
});

function say(line) {
  process.stdout.write(`${line}\n`);
}

function fail(message) {
  failures++;
  say(`✗ ${message}`);
}

/**
 * Runs a command to completion; resolves when it exits 0, rejects otherwise. Commands of
 * different stages run at the same time, so each one's output is held and printed whole when
 * it ends, under its command line and the stage it belongs to (`quiet`: only if it fails).
 */
function run(where, command, args, cwd, env = {}, quiet = false) {
  const line = `  [${where}] $ ${[command, ...args].join(' ')}   (in ${cwd.replace(work, '<work>')})`;
  const begun = Date.now();
  return new Promise((resolve, reject) => {
    const output = [];
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
    child.stdout.on('data', (c) => output.push(c));
    child.stderr.on('data', (c) => output.push(c));
    child.on('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - begun) / 1000;
      const text = Buffer.concat(output).toString().trimEnd();
      if (!quiet || code !== 0) {
        say(
          `${line}${text ? `\n${text}` : ''}${seconds >= 1 ? `\n    (${seconds.toFixed(1)}s)` : ''}`,
        );
      }
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? code}`));
    });
  });
}

/**
 * Waits for every promise to settle (no command is left writing into the work directory),
 * then resolves to their values, or rejects with the first failure.
 */
async function settled(promises) {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => r.value);
}

/** The build context: the repository's tracked files as they are in this checkout. */
function makeContext() {
  const context = join(work, 'context');
  mkdirSync(context);
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error('git ls-files failed: a git checkout is needed');
  const files = listed.stdout.split('\0').filter((f) => f && existsSync(join(root, f)));
  const tar = spawnSync('sh', ['-c', `tar -cf - --null -T - | tar -xf - -C '${context}'`], {
    cwd: root,
    input: files.join('\0'),
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  if (tar.status !== 0) throw new Error('copying the tracked files failed');
  return context;
}

/** A Dockerfile as stages of logical lines (continuations joined, comments dropped). */
function dockerStages(path) {
  const args = {};
  const stages = [];
  const lines = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const body = line.slice(keyword.length).trim();
    const expand = (s) => s.replace(/\$\{(\w+)\}/g, (_, n) => args[n] ?? '');
    if (keyword === 'ARG') {
      const [name, value = ''] = body.split('=');
      if (name) args[name] = value;
    } else if (keyword === 'FROM') {
      const [from = '', as, name] = rest;
      stages.push({
        from: expand(from),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        lines: [],
      });
    } else {
      stages.at(-1)?.lines.push({ keyword, body: expand(body) });
    }
  }
  return stages;
}

/** Options and arguments of a COPY line. */
function copyParts(body) {
  const words = body.split(/\s+/);
  const options = Object.fromEntries(
    words.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=')),
  );
  const paths = words.filter((w) => !w.startsWith('--'));
  return { options, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

/**
 * Follows a Dockerfile: each stage is a directory standing for its root filesystem. Stages
 * from a Node image run their RUN steps; a stage from another image (nginx) only has its
 * COPY steps followed. Resolves to the stages by name, each with its directory, ENV, CMD and
 * HEALTHCHECK. As BuildKit does, a stage starts as soon as the stages it is built FROM or
 * copies from have ended, so independent stages (the API image's build and deps) run at the
 * same time.
 */
async function buildImage(dockerfile, context) {
  const name = basename(dockerfile, '.Dockerfile');
  const built = new Map();
  for (const [index, stage] of dockerStages(dockerfile).entries()) {
    const label = stage.name ?? String(index);
    built.set(label, buildStage(name, label, stage, built, context));
  }
  const stages = await settled([...built.values()]);
  return new Map([...built.keys()].map((label, i) => [label, stages[i]]));
}

/** One stage of `buildImage`: `built` maps the earlier stages' names to their promises. */
async function buildStage(name, label, stage, built, context) {
  const where = `${name} ${label}`;
  const dir = join(work, `${name}-${label}`);
  const base = built.has(stage.from) ? await built.get(stage.from) : undefined;
  if (base) await run(where, 'cp', ['-a', base.dir, dir], work);
  else mkdirSync(dir);
  const node = base?.node ?? /^node:/.test(stage.from);
  const image = { dir, node, env: { ...base?.env }, workdir: base?.workdir ?? '/' };
  say(`▶ ${name}.Dockerfile: stage ${label} (FROM ${stage.from})`);
  for (const { keyword, body } of stage.lines) {
    const cwd = join(dir, image.workdir);
    if (keyword === 'WORKDIR') {
      image.workdir = body;
      mkdirSync(join(dir, body), { recursive: true });
    } else if (keyword === 'ENV') {
      for (const pair of body.split(/\s+/)) {
        const at = pair.indexOf('=');
        image.env[pair.slice(0, at)] = pair.slice(at + 1);
      }
    } else if (keyword === 'COPY') {
      const { options, sources, dest } = copyParts(body);
      const from = options.from ? await built.get(options.from) : undefined;
      say(`  [${where}] COPY ${body}`);
      if (options.from && !from) throw new Error(`COPY --from=${options.from}: no such stage`);
      const target = dest.startsWith('/') ? join(dir, dest) : join(cwd, dest);
      for (const source of sources) {
        const path = from ? join(from.dir, source) : join(context, source);
        if (!existsSync(path)) throw new Error(`COPY ${body}: ${source} does not exist`);
        const into = dest.endsWith('/') || sources.length > 1;
        const to = into ? join(target, basename(source)) : target;
        mkdirSync(dirname(to), { recursive: true });
        // A directory's contents are copied (Docker's COPY), symbolic links as they are.
        // From another stage, hard links: no later step writes to a stage's output.
        const mode = from ? '-al' : '-a';
        if (statSync(path).isDirectory()) {
          mkdirSync(to, { recursive: true });
          await run(where, 'cp', [mode, `${path}/.`, to], work, {}, true);
        } else await run(where, 'cp', [mode, path, to], work, {}, true);
      }
    } else if (keyword === 'RUN') {
      if (!node) throw new Error(`RUN in a stage from ${stage.from} is not reproduced: ${body}`);
      for (const command of body.split('&&').map((c) => c.trim())) {
        // Outside the reproduction: the shared npm cache, and the image's own filesystem.
        if (/^(npm cache clean|mkdir -p \/|chown )/.test(command)) {
          say(`  [${where}] (not reproduced: ${command})`);
          continue;
        }
        await run(where, 'sh', ['-c', command], cwd, { npm_config_prefer_offline: 'true' });
      }
    } else if (keyword === 'CMD' || keyword === 'HEALTHCHECK') {
      const json = keyword === 'CMD' ? body : body.slice(body.indexOf('CMD ') + 4);
      image[keyword.toLowerCase()] = JSON.parse(json);
    }
  }
  return image;
}

/**
 * The repository as an operator installs it without Docker: the tracked files, `npm ci
 * --omit=dev`, and the compiled output of this checkout copied in. Resolves to its directory.
 */
async function installWithoutDocker(context) {
  const full = join(work, 'install');
  await run('install', 'cp', ['-a', `${context}/.`, full], work);
  await run('install', 'npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], full, {
    npm_config_prefer_offline: 'true',
  });
  for (const name of ['auth', 'idp', 'api', 'cli', 'web']) {
    const dist = join(root, 'packages', name, 'dist');
    await run('install', 'cp', ['-a', dist, join(full, 'packages', name)], work);
  }
  return full;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts a long-running process in its own process group; its output goes to a log. */
function start(label, command, args, cwd, env) {
  const log = [];
  const child = spawn(command, args, {
    cwd,
    detached: true,
    env: { ...process.env, NODE_OPTIONS: '--throw-deprecation', ...env },
  });
  child.stdout.on('data', (c) => log.push(c));
  child.stderr.on('data', (c) => log.push(c));
  const entry = { label, child, log, exited: undefined };
  child.on('exit', (code, signal) => {
    entry.exited = signal ?? code;
  });
  children.push(entry);
  return entry;
}

async function waitFor(entry, url) {
  for (let i = 0; i < 600; i++) {
    if (entry.exited !== undefined) break;
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(
    `${entry.label} did not answer ${url} (exit: ${entry.exited ?? 'still running'})`,
  );
}

async function check(label, fn) {
  try {
    await fn();
    say(`✓ ${label}`);
  } catch (error) {
    fail(`${label}: ${error.message}`);
  }
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}, expected ${status}`);
}

try {
  say(`Production install check on Node ${process.version}, in ${work}`);
  for (const name of ['auth', 'idp', 'api', 'cli']) {
    if (!existsSync(join(root, 'packages', name, 'dist'))) {
      throw new Error(`packages/${name}/dist is missing: run npm run build first`);
    }
  }
  const context = makeContext();

  // The two images and the install share nothing but the build context and npm's cache, so
  // they are made at the same time: their four npm ci runs wait mostly on the disk and the
  // registry, and the API's tsc -b and the web app's vite build fill those waits.
  const [api, web, full] = await settled([
    buildImage(join(root, 'deploy/docker/api.Dockerfile'), context),
    buildImage(join(root, 'deploy/docker/web.Dockerfile'), context),
    installWithoutDocker(context),
  ]);
  const apiImage = [...api.values()].at(-1);
  const webBuild = [...web.values()].find((s) => s.node);
  if (!existsSync(join(webBuild.dir, webBuild.workdir, 'packages/web/dist/index.html'))) {
    throw new Error('the web image build stage produced no packages/web/dist/index.html');
  }
  say('✓ both images build from their COPY lists');
  say('✓ npm ci --omit=dev, with the compiled output copied in');

  const [idpPort, apiPort, webPort, npmApiPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const issuer = `http://127.0.0.1:${idpPort}/realms/todo-app`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const npmApiUrl = `http://127.0.0.1:${npmApiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  const idp = start('idp (npm run idp)', 'npm', ['run', '--silent', 'idp'], full, {
    PORT: String(idpPort),
    HOST: '127.0.0.1',
    DATA_DIR: join(work, 'idp-data'),
  });
  const [command = 'node', ...args] = apiImage.cmd;
  const apiServer = start(
    `api (the image's CMD: ${apiImage.cmd.join(' ')})`,
    command,
    args,
    join(apiImage.dir, apiImage.workdir),
    {
      ...apiImage.env,
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      DATA_DIR: join(work, 'api-data'),
      OIDC_ISSUER: issuer,
    },
  );
  // The same API from the install, as `npm run api` starts it there.
  const npmApi = start('api (npm run api)', 'npm', ['run', '--silent', 'api'], full, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(npmApiPort),
    DATA_DIR: join(work, 'npm-api-data'),
    OIDC_ISSUER: issuer,
  });
  const webServer = start(
    'web (npm start -w @todo-sso/web)',
    'npm',
    ['start', '--silent', '-w', '@todo-sso/web'],
    full,
    {
      NODE_ENV: 'production',
      WEB_HOST: '127.0.0.1',
      WEB_PORT: String(webPort),
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: 'todo-ui',
      API_URL: apiUrl,
    },
  );
  await waitFor(idp, `${issuer}/.well-known/openid-configuration`);
  await waitFor(apiServer, `${apiUrl}/healthz`);
  await waitFor(npmApi, `${npmApiUrl}/healthz`);
  await waitFor(webServer, `${webUrl}/`);
  say('✓ the IdP, the API image, npm run api and the web server started');

  await check("the API image's HEALTHCHECK passes", () => {
    const [hc = 'node', ...hcArgs] = apiImage.healthcheck;
    const result = spawnSync(hc, hcArgs, {
      cwd: join(apiImage.dir, apiImage.workdir),
      env: { ...process.env, ...apiImage.env, PORT: String(apiPort) },
      timeout: 10_000,
    });
    if (result.status !== 0) throw new Error(`exited with ${result.status}`);
  });
  await check('a person signs in, lists and adds a todo through both APIs', async () => {
    const grant = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    expectStatus(grant, 200, 'the token endpoint');
    const { access_token: token } = await grant.json();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const url of [apiUrl, npmApiUrl]) {
      expectStatus(await fetch(`${url}/todos/`, { headers }), 200, `GET ${url}/todos/`);
      const created = await fetch(`${url}/todos/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ title: 'from the production check' }),
      });
      expectStatus(created, 201, `POST ${url}/todos/`);
      expectStatus(await fetch(`${url}/docs/json`), 200, `GET ${url}/docs/json`);
    }
  });
  await check('the web server serves the app and its configuration', async () => {
    const page = await fetch(`${webUrl}/`);
    expectStatus(page, 200, 'GET /');
    if (!(await page.text()).includes('<div id="root">')) throw new Error('GET / is not the app');
    const config = await (await fetch(`${webUrl}/config.json`)).json();
    if (config.issuer !== issuer || config.apiUrl !== apiUrl) {
      throw new Error(`/config.json is ${JSON.stringify(config)}`);
    }
  });
  await check('npm run doctor accepts the setup', () => {
    const result = spawnSync('npm', ['run', '--silent', 'doctor'], {
      cwd: full,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--throw-deprecation', OIDC_ISSUER: issuer },
      timeout: 60_000,
    });
    if (result.status !== 0)
      throw new Error(`exited with ${result.status}:\n${result.stdout}${result.stderr}`);
  });
  for (const entry of children) {
    if (entry.exited !== undefined) fail(`${entry.label} exited (${entry.exited})`);
  }
} catch (error) {
  fail(error.message);
} finally {
  for (const { child, exited } of children) {
    if (exited === undefined && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
    }
  }
  // Each group ends on SIGTERM (the servers drain and exit); SIGKILL after 10 s.
  await Promise.all(
    children.map(
      (entry) =>
        new Promise((done) => {
          if (entry.exited !== undefined) return done();
          const timer = setTimeout(() => {
            try {
              process.kill(-entry.child.pid, 'SIGKILL');
            } catch {}
          }, 10_000);
          entry.child.once('exit', () => {
            clearTimeout(timer);
            done();
          });
        }),
    ),
  );
  if (failures > 0) {
    for (const { label, log } of children) {
      say(`--- ${label}\n${Buffer.concat(log).toString().trimEnd()}`);
    }
  }
  if (process.env.KEEP === '1') say(`files kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  say(
    failures === 0
      ? `production check: ok in ${seconds}s`
      : `production check: ${failures} failed (${seconds}s)`,
  );
  process.exit(failures === 0 ? 0 : 1);
}

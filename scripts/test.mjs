#!/usr/bin/env node
// The whole test suite in one command: lint, type-check, build, unit + integration tests
// (Vitest) and end-to-end tests (Playwright in Debian's Chromium), then one summary line.
//
// Environment: REQUIRE_BROWSER=1 / REQUIRE_POSTGRES=1 turn a missing Chromium / PostgreSQL
// into failures instead of skips (CI sets both). TEST_AFTER_FIRST=<command> runs a command
// once the first of Vitest and Playwright has ended, beside the other (see below).
// TEST_DATABASE_URL points the PostgreSQL suites at a server (default
// postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso_test).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listed, playwrightOutcomes, vitestFailures } from './test-report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = join(root, '.vitest-results');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs one step, streaming its output; resolves to its exit code. */
function run(label, command, args, env = {}) {
  process.stdout.write(`\n▶ ${label}: ${[command, ...args].join(' ')}\n`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1', ...env },
    });
    child.on('error', (error) => {
      process.stdout.write(`${label}: could not start (${error.message})\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `◀ ${label}: ${code === 0 ? 'ok' : `failed (${signal ?? code})`} in ${seconds}s\n`,
      );
      resolve(code ?? 1);
    });
  });
}

/**
 * Runs one step beside another, its output kept in `logPath` and printed whole once the step
 * ends (two streams interleaved line by line would be unreadable); resolves to its exit code.
 */
function runBeside(label, command, args, env, logPath) {
  process.stdout.write(
    `\n▶ ${label}: ${[command, ...args].join(' ')} (its output follows when it ends)\n`,
  );
  const started = Date.now();
  const fd = openSync(logPath, 'w');
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, FORCE_COLOR: '0', ...env },
    });
    let ended = false;
    // 'exit' may or may not follow 'error' (a command that cannot start): answer once.
    const done = (code, why) => {
      if (ended) return;
      ended = true;
      closeSync(fd);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`\n── ${label} output (${logPath})\n`);
      process.stdout.write(readFileSync(logPath, 'utf8'));
      process.stdout.write(`◀ ${label}: ${code === 0 ? 'ok' : `failed (${why})`} in ${seconds}s\n`);
      resolve(code);
    };
    child.on('error', (error) => done(1, `could not start: ${error.message}`));
    child.on('exit', (code, signal) => done(code ?? 1, signal ?? code));
  });
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `git status --porcelain`, or undefined outside a git checkout. */
function gitStatus() {
  const result = spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout : undefined;
}

const statusBefore = gitStatus();
const steps = [];
const record = (name, code) => steps.push({ name, ok: code === 0 });

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

// The two type checks run beside the lint and the build, and beside each other: each is one
// tsc process on one core, and neither needs the other's output nor the build's (the tests'
// program reads the packages' sources, not their dist/). On two cores this takes the longest of
// them instead of their sum (CI: lint 4.3 s, build 2.4 s, typecheck tests 35.8 s, typecheck
// web 15.1 s one after the other). Vitest and Playwright start once all four have ended, and a
// failed one still fails the run.
const typecheckTests = runBeside(
  'typecheck tests',
  bin('tsc'),
  ['-p', 'tsconfig.test.json'],
  {},
  join(results, 'typecheck-tests.log'),
);
const typecheckWeb = runBeside(
  'typecheck web',
  bin('tsc'),
  ['-p', 'packages/web'],
  {},
  join(results, 'typecheck-web.log'),
);
record('lint', await run('lint', bin('biome'), ['check', '.']));
record('build', await run('build (tsc -b + vite build)', 'npm', ['run', '--silent', 'build']));
record('typecheck tests', await typecheckTests);
record('typecheck web', await typecheckWeb);

const vitestJson = join(results, 'vitest.json');
const playwrightJson = join(results, 'playwright.json');
const playwrightConfig = join(root, 'packages/web/playwright.config.ts');
const playwrightArgs = ['test', '-c', playwrightConfig, '--reporter=list,json'];
const playwrightEnv = { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson };
// Vitest and Playwright run side by side: both wait on servers, timers and the browser part of
// the time, and beside each other they fill those waits. Both slow down, so the saving is only
// the waiting: on CI's two cores both ended after 1,358-1,388 s, against 587-668 s plus
// 907-1,003 s one after the other (the whole CI run 1,753 s, against 1,794 and 2,037 s).
// TEST_STAGES=serial runs them one after the other, as when chasing a timing-dependent failure.
const beside = existsSync(playwrightConfig) && process.env.TEST_STAGES !== 'serial';
const playwrightBeside = beside
  ? runBeside(
      'playwright',
      bin('playwright'),
      playwrightArgs,
      // The end-to-end run's own check of the working tree looks only where it could write
      // (the web package, the docs' screenshots): Vitest's files come and go meanwhile. The
      // whole tree is checked below once both have ended.
      { ...playwrightEnv, E2E_GIT_PATHS: 'packages/web docs' },
      join(results, 'playwright.log'),
    )
  : undefined;

// TEST_AFTER_FIRST: a shell command started as soon as either Vitest or Playwright has ended,
// beside the one still running (CI: the Node 22 and 24 run, which needs no browser), so it
// meets the load of two stages side by side, which both stages meet here anyway, and a failure
// fails the run. In CI's 1,753 s run the two ended 30 s apart and the command ran after both;
// with two Playwright workers Playwright ended at 774 s and Vitest at 1,112 s, and the command
// waited for Vitest.
const afterFirst = process.env.TEST_AFTER_FIRST;
let afterFirstRun;
const startAfterFirst = (ended) => {
  if (!afterFirst || afterFirstRun) return;
  afterFirstRun = runBeside(
    `after ${ended}`,
    'sh',
    ['-c', afterFirst],
    {},
    join(results, 'after-first.log'),
  );
};
void playwrightBeside?.then(() => startAfterFirst('playwright'));

const vitestCode = await run('vitest', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
startAfterFirst('vitest');

let playwrightCode = 0;
if (playwrightBeside) {
  playwrightCode = await playwrightBeside;
} else if (existsSync(playwrightConfig)) {
  playwrightCode = await run('playwright', bin('playwright'), playwrightArgs, playwrightEnv);
}
if (afterFirstRun) record(`after the first stage (${afterFirst})`, await afterFirstRun);

// The tests leave the working tree as they found it: nothing tracked changes, nothing new
// appears outside .gitignore (README screenshots come from `npm run screenshots` only).
const statusAfter = gitStatus();
if (statusBefore !== undefined && statusAfter !== statusBefore) {
  process.stdout.write(`\nThe test run changed the working tree:\n${statusAfter}`);
  record('working tree unchanged', 1);
} else {
  record('working tree unchanged', 0);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const step of steps) {
  if (step.ok) passed += 1;
  else failed += 1;
}

const vitest = readJson(vitestJson);
if (vitest) {
  passed += vitest.numPassedTests ?? 0;
  failed += vitest.numFailedTests ?? 0;
  skipped += (vitest.numPendingTests ?? 0) + (vitest.numTodoTests ?? 0);
  // A file that fails to load has no tests but must still fail the run.
  if (vitestCode !== 0 && !vitest.numFailedTests) failed += 1;
} else if (vitestCode !== 0) {
  failed += 1;
}

const playwright = readJson(playwrightJson);
if (playwright?.stats) {
  passed += (playwright.stats.expected ?? 0) + (playwright.stats.flaky ?? 0);
  failed += playwright.stats.unexpected ?? 0;
  skipped += playwright.stats.skipped ?? 0;
  if (playwrightCode !== 0 && !playwright.stats.unexpected) failed += 1;
} else if (playwrightCode !== 0) {
  failed += 1;
}

// Named last, so that a log cut to its tail still says which tests failed and why.
const outcomes = playwrightOutcomes(playwright);
process.stdout.write(listed('Failed (Vitest)', vitestFailures(vitest, root)));
process.stdout.write(listed('Failed (Playwright)', outcomes.failed));
process.stdout.write(
  listed('Passed on the retry (Playwright, CI only: see playwright.config.ts)', outcomes.flaky),
);
process.stdout.write('\nSummary\n');
for (const step of steps) process.stdout.write(`  ${step.ok ? '✓' : '✗'} ${step.name}\n`);
process.stdout.write(`  ${vitestCode === 0 ? '✓' : '✗'} vitest\n`);
if (existsSync(playwrightConfig)) {
  process.stdout.write(`  ${playwrightCode === 0 ? '✓' : '✗'} playwright (end-to-end)\n`);
}
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed === 0 ? 0 : 1);

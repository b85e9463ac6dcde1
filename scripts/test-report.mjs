// The tests that failed, and the end-to-end tests that passed only on their retry, named from
// the JSON reports of Vitest and Playwright, for the last lines of `npm test`: those are the
// lines a CI log shows when it keeps only its tail, and a failure must be findable from them.

/** At most this many characters of a failure's message, on one line. */
const MESSAGE_LIMIT = 300;

/** A failure message's first lines on one line, without terminal colours, cut to MESSAGE_LIMIT. */
function messageLine(message) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
  const plain = String(message ?? '').replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    // Of a stack, its first frame only: where in the test it failed.
    .filter((l, i, all) => !l.startsWith('at ') || all.findIndex((m) => m.startsWith('at ')) === i);
  // Three lines: an assertion's own line, then its expected and received values or its place.
  const line = lines.slice(0, 3).join(' · ');
  return line.length > MESSAGE_LIMIT ? `${line.slice(0, MESSAGE_LIMIT)}…` : line;
}

/** The failed tests of a Vitest JSON report: `{ name, message }` each. */
export function vitestFailures(report, root) {
  const failures = [];
  for (const file of report?.testResults ?? []) {
    const path = String(file.name ?? '').replace(`${root}`, '');
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const test of failedTests) {
      failures.push({
        name: `${path} › ${test.fullName}`,
        message: messageLine(test.failureMessages?.[0]),
      });
    }
    // A file that fails to load has no tests, only its own message.
    if (failedTests.length === 0 && file.status === 'failed') {
      failures.push({ name: path, message: messageLine(file.message) });
    }
  }
  return failures;
}

/** Every test of a Playwright JSON report, with the path of titles and the file it is in. */
function* playwrightTests(suites, titles = []) {
  for (const suite of suites ?? []) {
    const path = suite.title ? [...titles, suite.title] : titles;
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        yield { name: [...path, `${spec.title} (line ${spec.line})`].join(' › '), test };
      }
    }
    yield* playwrightTests(suite.suites, path);
  }
}

/**
 * The end-to-end tests of a Playwright JSON report that failed (`unexpected`) and those that
 * failed, then passed on a retry (`flaky`), each with the first failure's message.
 */
export function playwrightOutcomes(report) {
  const failed = [];
  const flaky = [];
  for (const { name, test } of playwrightTests(report?.suites)) {
    if (test.status !== 'unexpected' && test.status !== 'flaky') continue;
    const firstFailure = (test.results ?? []).find((r) => r.status !== 'passed' && r.error);
    const entry = { name, message: messageLine(firstFailure?.error?.message) };
    (test.status === 'flaky' ? flaky : failed).push(entry);
  }
  return { failed, flaky };
}

/** The lines naming `entries` under `heading`, or none when there are none. */
export function listed(heading, entries) {
  if (entries.length === 0) return '';
  const lines = entries.map((e) => `  - ${e.name}${e.message ? `\n      ${e.message}` : ''}`);
  return `\n${heading}\n${lines.join('\n')}\n`;
}

import { expect, skipWithoutChromium, test } from './support/fixtures.js';
import { gitStatus } from './support/git-status.js';

skipWithoutChromium();

// Runs last (its project depends on every other file's, playwright.config.ts): the scenarios
// changed no tracked file and left nothing untracked; README screenshots come from
// `npm run screenshots`.
test('the end-to-end run leaves the working tree as it found it', () => {
  test.skip(
    process.env.SCREENSHOTS === '1',
    'npm run screenshots rewrites docs/screenshots on purpose',
  );
  const before = process.env.E2E_GIT_STATUS;
  const after = gitStatus();
  test.skip(after === undefined || before === undefined, 'not a git checkout');
  expect(after).toBe(before);
});

import { sqliteDriver, useTestDatabase } from './databases.js';
import { suiteFixture } from './fixture.js';
import { type Harness, startHarness } from './harness.js';

/**
 * The harness on SQLite for the enclosing `describe`, with admin work asking for step-up as
 * written out here (mfa within 900 s, the defaults), whatever the environment says.
 */
export function useStepUpHarness(): Harness {
  const database = useTestDatabase(sqliteDriver);
  return suiteFixture(
    false,
    () => startHarness(database.config, { STEP_UP_ACR: 'mfa', STEP_UP_MAX_AGE_SECONDS: '900' }),
    (h) => h.close(),
  );
}

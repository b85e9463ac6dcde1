import { afterAll, beforeAll } from 'vitest';

/**
 * Starts something for the enclosing `describe` in `beforeAll` (unless `skip`) and stops it in
 * `afterAll`, returning a stand-in the suite's tests use as the thing itself:
 *
 * ```ts
 * describe.each(drivers)('the todo API on $driver', (driver) => {
 *   const h = useHarness(driver);
 *   it.skipIf(driver.skip)('…', async () => expect((await h.as('alice', …)).statusCode)…);
 * });
 * ```
 *
 * Fixtures declared one after another start in that order and stop in reverse (Vitest's
 * default `sequence.hooks: 'stack'`), so a later one may use an earlier one in `start`. Reading
 * the stand-in before `beforeAll` has run (at collection time, or in a skipped suite) throws.
 */
export function suiteFixture<T extends object>(
  skip: boolean,
  start: () => Promise<T>,
  stop: (value: T) => Promise<void>,
): T {
  let current: T | undefined;
  beforeAll(async () => {
    if (!skip) current = await start();
  });
  afterAll(async () => {
    if (current) await stop(current);
  });
  return new Proxy({} as T, {
    get(_, key) {
      if (!current) throw new Error(`suite fixture read before it started (.${String(key)})`);
      const value = Reflect.get(current, key);
      // Methods run on the thing itself, so those using `this` (or private fields) still work.
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}

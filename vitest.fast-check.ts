import fc from 'fast-check';

/**
 * A setup file of the projects whose tests use fast-check. Property-based tests draw new cases
 * on every local run; under CI (`CI` set) every property starts from one fixed seed, so that a
 * gate decides on the same cases each time (as the OpenAPI fuzzing and the store parity run
 * do) and a failure is replayed with the seed fast-check prints. `FC_SEED` sets it anywhere. A
 * property that names its own seed keeps it.
 */
const seed = process.env.FC_SEED ?? (process.env.CI ? '20261205' : undefined);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) });

import { configure } from '@testing-library/react';

// findBy* and waitFor wait for what a test asserts, up to a bound on hangs: the default 1 s is
// less than a first render can take on a loaded two-core machine. A test that proves something
// happens in time asserts that itself.
configure({ asyncUtilTimeout: 10_000 });

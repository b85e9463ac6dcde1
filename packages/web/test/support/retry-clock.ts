import { act } from '@testing-library/react';
import { onTestFinished, vi } from 'vitest';

/**
 * Fakes the clock (timers and `Date`; real time still moves it as well) for a test whose adds
 * are retried after 1 s and 2 s: `moveClockUntil` then passes those waits at once, so the test
 * never races them against a deadline in real time, which a loaded machine would lose.
 */
export function fakeRetryClock(): void {
  vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

/**
 * Moves the faked clock on, 100 ms at a time with a real turn of the event loop between (the
 * requests are real), until `done()` holds; throws after `realMs` of real time.
 */
export async function moveClockUntil(done: () => boolean, realMs = 12_000): Promise<void> {
  const deadline = performance.now() + realMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not reached within ${realMs} ms`);
    await act(() => vi.advanceTimersByTimeAsync(100));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

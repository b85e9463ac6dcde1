/** A test that failed, or passed only on its retry, and its first error lines on one line. */
export interface NamedOutcome {
  name: string;
  message: string;
}

/** The failed tests of a Vitest JSON report; `root` is cut from the front of file names. */
export function vitestFailures(report: unknown, root: string): NamedOutcome[];

/** The end-to-end tests of a Playwright JSON report that failed, and those that passed on a retry. */
export function playwrightOutcomes(report: unknown): {
  failed: NamedOutcome[];
  flaky: NamedOutcome[];
};

/** The lines naming `entries` under `heading`, or the empty string when there are none. */
export function listed(heading: string, entries: NamedOutcome[]): string;

import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import axe, { type RunOptions } from 'axe-core';

/** The success criteria checked: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The rules whose outcome reads computed colours, the only ones a colour scheme can change (the
 * app's and the IdP's dark styles change colours and shadows only): `color-contrast` and
 * `link-in-text-block` compare foreground and background colours, and axe-core's data-table
 * heuristic (`isDataTable`, which decides where `table-fake-caption`, `td-has-header` and
 * `th-has-data-cells` apply) counts rows of differing background colour as a sign of a data
 * table. Checked against axe-core 4.13's sources: no other rule's check or matcher calls its
 * colour functions.
 */
export const COLOUR_RULES = [
  'color-contrast',
  'link-in-text-block',
  'table-fake-caption',
  'td-has-header',
  'th-has-data-cells',
];

/** One violation as a line a person can act on: rule, impact, and where. */
function describe(violation: {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}): string {
  const where = violation.nodes
    .slice(0, 5)
    .map((node) => `    ${JSON.stringify(node.target)}: ${node.failureSummary ?? ''}`)
    .join('\n');
  return `${violation.id} (${violation.impact ?? 'n/a'}): ${violation.help}\n${where}`;
}

/** What `axe.run` resolves to, as far as these scans read it. */
interface AxeResults {
  violations: Parameters<typeof describe>[0][];
}

/**
 * axe-core in the page, once per document: its source (half a megabyte) is evaluated only when
 * the document has none yet, and configured as `AxeBuilder` does in legacy mode (same-origin
 * frames only). `AxeBuilder.analyze()` in legacy mode evaluates the source twice per scan, and a
 * screen takes two scans: those evaluations cost more than the scans themselves (98-accessibility
 * at load 12: 0.4-1.7 s each, four per screen).
 */
async function axeInPage(page: Page): Promise<void> {
  if (await page.evaluate(() => typeof (window as { axe?: unknown }).axe !== 'undefined')) return;
  await page.evaluate(axe.source);
  await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.configure({
      allowedOrigins: ['<same_origin>'],
      branding: { application: 'playwright' },
    }),
  );
}

/** One scan with `options` (which rules), in the page itself (`axe.run`, "legacy mode"). */
async function scan(page: Page, options: RunOptions): Promise<AxeResults> {
  // A page with frames is scanned with axe.runPartial in every frame and axe.finishRun in a
  // blank page opened for it, as only cross-origin frames need; a page without frames is scanned
  // with axe.run in the page itself, once axe-core is there (the todo list at load average 20:
  // every rule 3.7 s → 2.4 s, the colour rules 3.2 s → 1.6 s).
  if (page.frames().length > 1) return new AxeBuilder({ page }).options(options).analyze();
  await axeInPage(page);
  return page.evaluate(
    (runOptions) =>
      (window as unknown as { axe: typeof axe }).axe.run(
        document,
        runOptions,
      ) as Promise<AxeResults>,
    options,
  );
}

/**
 * Runs axe-core on the page as it is now in both colour schemes and returns every WCAG 2.1 A/AA
 * and best-practice violation as a line, `[light]` or `[dark]` first: the app and the IdP's
 * pages follow `prefers-color-scheme`, and contrast differs between them. Every rule runs in the
 * light scheme and the {@link COLOUR_RULES} again in the dark one: the other rules read the DOM,
 * roles, names and geometry, the same in both, and each scan takes seconds on a busy machine.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Colours change with a short transition: measure the contrast once they have settled. An
    // endless animation (a loading spinner) never finishes: waiting for it would last until the
    // test's time limit (Web Animations: its end time is infinite).
    await page.evaluate(() =>
      Promise.all(
        document
          .getAnimations()
          .filter((animation) => animation.effect?.getComputedTiming().endTime !== Infinity)
          .map((animation) => animation.finished.catch(() => {})),
      ),
    );
    const results = await scan(
      page,
      colorScheme === 'light'
        ? { runOnly: { type: 'tag', values: [...WCAG_TAGS, 'best-practice'] } }
        : { runOnly: { type: 'rule', values: COLOUR_RULES } },
    );
    for (const violation of results.violations)
      found.push(`[${colorScheme}] ${describe(violation)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

/**
 * Fails (softly: the scenario goes on) with every violation {@link axeViolations} finds on the
 * page as it is now, `screen` saying which screen it was.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const found = await axeViolations(page);
  expect.soft(found, `axe: WCAG 2.1 A/AA violations on ${screen}`).toEqual([]);
}

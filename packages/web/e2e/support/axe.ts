import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

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
    // Colours change with a short transition: measure the contrast once they have settled.
    await page.evaluate(() =>
      Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => {}))),
    );
    // A page without frames is scanned with axe.run in the page itself ("legacy mode"): the
    // default runs axe.runPartial in every frame and axe.finishRun in a blank page opened for it,
    // which only cross-origin frames need and which cost a third to a half of each scan (the todo
    // list at load average 20: every rule 3.7 s → 2.4 s, the colour rules 3.2 s → 1.6 s).
    const scan = new AxeBuilder({ page }).setLegacyMode(page.frames().length === 1);
    if (colorScheme === 'light') scan.withTags([...WCAG_TAGS, 'best-practice']);
    else scan.withRules(COLOUR_RULES);
    const results = await scan.analyze();
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

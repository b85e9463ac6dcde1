import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** The success criteria checked: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

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
 * Runs axe-core on the page as it is now and fails with every WCAG 2.1 A/AA violation named,
 * `screen` saying which screen it was. Both colour schemes are checked: the app and the IdP's
 * pages follow `prefers-color-scheme`, and contrast differs between them.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Colours change with a short transition: measure the contrast once they have settled.
    await page.evaluate(() =>
      Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => {}))),
    );
    const results = await new AxeBuilder({ page })
      .withTags([...WCAG_TAGS, 'best-practice'])
      .analyze();
    for (const violation of results.violations)
      found.push(`[${colorScheme}] ${describe(violation)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  expect.soft(found, `axe: WCAG 2.1 A/AA violations on ${screen}`).toEqual([]);
}

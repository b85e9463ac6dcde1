/**
 * The configuration tables of the READMEs, read the way a person reads them: the first column's
 * backticked names, the second column's default.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ConfigRow {
  /** The variables the row documents (`OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET` share one). */
  readonly names: readonly string[];
  /** The default column as written. */
  readonly defaultText: string;
}

/** The cells of one Markdown table row (`\|` inside a cell is not a separator). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/**
 * The rows of the first table under `heading` in a Markdown file whose first column is
 * `variable`.
 */
export function configTable(file: string, heading: string): ConfigRow[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file} has no "${heading}" section`);
  const lines = text.slice(start).split('\n');
  const header = lines.findIndex((l) => /^\|\s*variable\s*\|/.test(l));
  if (header < 0) throw new Error(`${file}: no variable table under "${heading}"`);
  const rows: ConfigRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [first = '', second = ''] = cells(line);
    const names = [...first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] as string);
    rows.push({ names, defaultText: second });
  }
  return rows;
}

/** Every variable the README's "## Configuration" table documents, for the manifests' tests. */
export function readmeConfigNames(): Set<string> {
  return new Set(configTable('README.md', '## Configuration').flatMap((row) => row.names));
}

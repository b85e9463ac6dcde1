import { inline } from './terminal.js';

/** Renders rows as a plain-text table with a header, columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A single-line, bounded rendering of user text for a table cell. */
export function cell(text: string, max = 60): string {
  // Control characters (including newlines and escape sequences) and bidi overrides never reach
  // the terminal (see terminal.ts).
  return inline(text, max);
}

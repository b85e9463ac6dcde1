/** One row of the soak summary. */
export interface SoakRow {
  phase: string;
  seconds: number;
  requests: number;
  /** Non-success outcomes by class (`401 key_unknown`, `503 unavailable`, `transport`, …). */
  errors: Record<string, number>;
  acceptedAttacks: number;
  lostWrites: number;
  /** Anything else a reader must know (a crash, a skipped engine). */
  notes: string[];
}

/** The summary table, as printed at the end of `npm run soak`. */
export function formatSummary(rows: readonly SoakRow[]): string {
  const header = [
    'phase',
    'time s',
    'requests',
    'accepted attacks',
    'lost writes',
    'errors by class',
  ];
  const lines = rows.map((r) => [
    r.phase,
    r.seconds.toFixed(1),
    String(r.requests),
    String(r.acceptedAttacks),
    String(r.lostWrites),
    Object.entries(r.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '—',
  ]);
  const total = [
    'TOTAL',
    rows.reduce((s, r) => s + r.seconds, 0).toFixed(1),
    String(rows.reduce((s, r) => s + r.requests, 0)),
    String(rows.reduce((s, r) => s + r.acceptedAttacks, 0)),
    String(rows.reduce((s, r) => s + r.lostWrites, 0)),
    '',
  ];
  const all = [header, ...lines, total];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = rows.flatMap((r) => r.notes.map((n) => `  - ${r.phase}: ${n}`));
  return [
    fmt(header),
    rule,
    ...lines.map(fmt),
    rule,
    fmt(total),
    ...(notes.length ? ['notes:', ...notes] : []),
  ].join('\n');
}

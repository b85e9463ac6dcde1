// The result table: one row per figure, with its target and whether it is met.

/** Formats a number with thousands separators and `digits` decimals. */
export const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

export class Table {
  rows = [];

  /**
   * Adds a figure. `met` is true/false for a figure with a target, undefined for context.
   * An invalid measurement (errors or unexpected statuses) is never "met".
   */
  add(section, figure, value, { target = '—', met, note = '', valid = true } = {}) {
    const status = !valid ? 'invalid' : met === undefined ? '—' : met ? 'met' : 'not met';
    this.rows.push({
      section,
      figure,
      value,
      target,
      status,
      note: valid ? note : `invalid: ${note}`,
    });
  }

  /** A figure that could not be measured (e.g. PostgreSQL unreachable). */
  skip(section, figure, reason, target = '—') {
    this.rows.push({ section, figure, value: 'n/a', target, status: 'skipped', note: reason });
  }

  get missed() {
    return this.rows.filter((r) => r.status === 'not met' || r.status === 'invalid');
  }

  markdown(header) {
    const esc = (s) => String(s).replaceAll('|', '\\|');
    const lines = [
      '| # | figure | value | target | status | notes |',
      '|---|---|---:|---|---|---|',
      ...this.rows.map(
        (r) =>
          `| ${esc(r.section)} | ${esc(r.figure)} | ${esc(r.value)} | ${esc(r.target)} | ${r.status} | ${esc(r.note)} |`,
      ),
    ];
    return `${header}\n\n${lines.join('\n')}\n`;
  }
}

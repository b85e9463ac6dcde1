// The result table: one row per figure, with its target and whether it is met.

/** Formats a number with thousands separators and `digits` decimals. */
export const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

export class Table {
  rows = [];
  /** Text printed after the tables: [title, body in a code block]. */
  appendices = [];

  /** Adds a code block after the tables (e.g. the pgbench scripts a figure ran). */
  appendix(title, body) {
    this.appendices.push([title, body]);
  }

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

  /** A figure with a target that this run could not measure, and why (stays in the results). */
  unmeasured(section, figure, target, reason) {
    this.rows.push({
      section,
      figure,
      value: 'n/a',
      target,
      status: 'not measured',
      note: reason,
    });
  }

  get missed() {
    return this.rows.filter((r) => r.status === 'not met' || r.status === 'invalid');
  }

  /** Every figure that has a target, in order, with its status: the summary on top. */
  get targets() {
    return this.rows.filter((r) => r.target !== '—');
  }

  markdown(header) {
    const esc = (s) => String(s).replaceAll('|', '\\|');
    const row = (r) =>
      `| ${esc(r.section)} | ${esc(r.figure)} | ${esc(r.value)} | ${esc(r.target)} | ${r.status} | ${esc(r.note)} |`;
    const head = ['| # | figure | value | target | status | notes |', '|---|---|---:|---|---|---|'];
    const targets = this.targets;
    const count = (status) => targets.filter((r) => r.status === status).length;
    const summary = [
      '## Targets',
      '',
      `${count('met')} met, ${count('not met')} not met, ${count('not measured') + count('skipped')} not measured, ${count('invalid')} invalid.`,
      '',
      ...head,
      ...targets.map(
        (r) =>
          `| ${esc(r.section)} | ${esc(r.figure)} | ${esc(r.value)} | ${esc(r.target)} | **${r.status}** | ${esc(r.note)} |`,
      ),
    ];
    const all = ['## Every figure', '', ...head, ...this.rows.map(row)];
    const extra = this.appendices.map(
      ([title, body]) => `\n## ${title}\n\n\`\`\`\n${body.trimEnd()}\n\`\`\`\n`,
    );
    return `${header}\n\n${summary.join('\n')}\n\n${all.join('\n')}\n${extra.join('')}`;
  }
}

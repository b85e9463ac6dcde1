import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchedLines, type LineWriter } from '../src/http/log-batch.js';

/** A writer that records what it is handed, and when it is flushed. */
function recorder() {
  const calls: string[] = [];
  const writer: LineWriter = {
    write: (data) => {
      calls.push(`write ${data}`);
      return true;
    },
    flush: (callback) => {
      calls.push('flush');
      callback?.();
    },
    flushSync: () => {
      calls.push('flushSync');
    },
  };
  return { calls, writer };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('log lines handed over once per turn', () => {
  it('hands the lines of one turn over as one text, in order, after the turn', async () => {
    const { calls, writer } = recorder();
    const out = batchedLines(writer);
    out.write('a\n');
    out.write('b\n');
    out.write('c\n');
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual(['write a\nb\nc\n']);
    out.write('d\n');
    await nextTurn();
    await nextTurn();
    expect(calls).toEqual(['write a\nb\nc\n', 'write d\n']);
  });

  it('hands pending lines over before any flush, its own or the writer’s', () => {
    const { calls, writer } = recorder();
    const out = batchedLines(writer);
    out.write('a\n');
    // pino's exit hook and `fatal` call the writer's own flushSync.
    writer.flushSync();
    out.write('b\n');
    out.flushSync();
    out.write('c\n');
    writer.flush();
    out.write('d\n');
    let flushed = false;
    out.flush(() => {
      flushed = true;
    });
    expect(calls).toEqual([
      'write a\n',
      'flushSync',
      'write b\n',
      'flushSync',
      'write c\n',
      'flush',
      'write d\n',
      'flush',
    ]);
    expect(flushed).toBe(true);
  });

  it('loses no line of a process that exits in the turn it logged them', () => {
    const logger = new URL('../dist/http/logger.js', import.meta.url).href;
    const script = `
      const { createLogger } = await import(${JSON.stringify(logger)});
      const log = createLogger('info');
      for (let i = 0; i < 2000; i += 1) log.info({ i }, 'line');
      if (process.argv[1] === 'fatal') log.fatal('stopping');
      else process.exit(3);
      process.exit(4);
    `;
    for (const how of ['exit', 'fatal']) {
      let out = '';
      try {
        execFileSync(process.execPath, ['--input-type=module', '-e', script, how], {
          encoding: 'utf8',
        });
      } catch (error) {
        out = (error as { stdout: string }).stdout;
      }
      const lines = out.split('\n').filter(Boolean);
      expect(lines.length).toBe(how === 'fatal' ? 2001 : 2000);
      expect(lines.slice(0, 2000).map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(
        Array.from({ length: 2000 }, (_, i) => i),
      );
    }
  });
});

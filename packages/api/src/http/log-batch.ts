import type { DestinationStream } from 'pino';

/** What {@link batchedLines} needs of pino's asynchronous destination (a sonic-boom stream). */
export interface LineWriter {
  write(data: string): boolean;
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/**
 * A destination handing `out` the lines logged during one turn of the event loop as one
 * string, once the turn's I/O callbacks are done (`setImmediate`), instead of line by line.
 *
 * Why: pino's asynchronous destination (sonic-boom 4) appends a line to the text still pending
 * behind the write in flight and then counts the UTF-8 bytes of that whole text again, so the
 * lines of a busy turn (one per request answered) cost it quadratic work. Handed over once per
 * turn, the text is counted once per turn. The lines, their order and their bytes are the same;
 * each still goes out within the turn it was logged in.
 *
 * Nothing is kept from the exit: `out`'s own `flushSync` and `flush` (which pino calls when the
 * process exits, and after a `fatal` line) hand over what is pending first, as do this
 * destination's.
 */
export function batchedLines(out: LineWriter): DestinationStream & LineWriter {
  let pending = '';
  let scheduled = false;
  const handOver = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    try {
      out.write(text);
    } catch {
      // `out` was ended (the process is exiting): later lines are lost, as they would be there.
    }
  };
  const flushSync = out.flushSync.bind(out);
  const flush = out.flush.bind(out);
  out.flushSync = () => {
    handOver();
    flushSync();
  };
  out.flush = (callback) => {
    handOver();
    flush(callback);
  };
  return {
    write(line: string): boolean {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(handOver);
      }
      return true;
    },
    flush: (callback) => out.flush(callback),
    flushSync: () => out.flushSync(),
  };
}

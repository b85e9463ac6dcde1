/** Real time plus an offset that tests move forward (TTLs, cooldowns, stale windows). */
export class SteppedClock {
  private offsetMs = 0;
  /** Milliseconds since the epoch, for `startTestIssuer({ now })`. */
  readonly ms = (): number => Date.now() + this.offsetMs;
  /** The API's `Clock`. */
  readonly now = (): Date => new Date(this.ms());
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

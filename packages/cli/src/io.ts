/** Everything the commands touch outside themselves, so tests run them in-process. */
export interface Io {
  /** Standard output: results (tables, JSON). */
  out(text: string): void;
  /** Standard error: progress, notices and errors. */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  /** Milliseconds; default `Date.now`. */
  now(): number;
  /** Waits; tests may shorten nothing here, the server's interval is honoured. */
  sleep(ms: number): Promise<void>;
  /** Standard input, for a secret that must not be an argument (`todo doctor --token -`). */
  readonly stdin?: AsyncIterable<Uint8Array | string>;
  /** How long `todo add` waits for the API before it retries (default 30 s); tests shorten it. */
  readonly createTimeoutMs?: number;
  /** How long any request waits for the API's answer (default 30 s); tests shorten it. */
  readonly requestTimeoutMs?: number;
  /** Opens a URL in a browser; resolves false when there is none. */
  openBrowser(url: string): Promise<boolean>;
}

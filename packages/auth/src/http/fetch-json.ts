/** Largest IdP response read (metadata, JWKS, introspection): guards memory against a hostile IdP. */
const MAX_BODY_BYTES = 512 * 1024;

/** An IdP HTTP call that did not produce usable JSON (network, timeout, status, body). */
export class IdpHttpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdpHttpError';
  }
}

/** Options of {@link fetchJson}. */
export interface FetchJsonOptions {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly init?: RequestInit;
}

/**
 * Fetches a JSON object with an AbortSignal timeout. Redirects are not followed (an IdP moving
 * its keys elsewhere is a configuration change, not something to trust silently).
 */
export async function fetchJson(
  url: string,
  options: FetchJsonOptions,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      ...options.init,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: { accept: 'application/json', ...(options.init?.headers as Record<string, string>) },
    });
  } catch (cause) {
    const reason = (cause as Error)?.name === 'TimeoutError' ? 'timed out' : 'failed';
    throw new IdpHttpError(`${options.init?.method ?? 'GET'} ${url} ${reason}`, { cause });
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new IdpHttpError(`${url} answered more than ${MAX_BODY_BYTES} bytes`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    throw new IdpHttpError(`Reading ${url} failed`, { cause });
  }
  if (!response.ok) throw new IdpHttpError(`${url} answered HTTP ${response.status}`);
  if (text.length > MAX_BODY_BYTES)
    throw new IdpHttpError(`${url} answered more than ${MAX_BODY_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new IdpHttpError(`${url} did not answer JSON`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new IdpHttpError(`${url} did not answer a JSON object`);
  return value as Record<string, unknown>;
}

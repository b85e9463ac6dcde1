/** Largest IdP response read (metadata, JWKS, introspection): guards memory against a hostile IdP. */
const MAX_BODY_BYTES = 512 * 1024;

/** An IdP HTTP call that did not produce usable JSON (network, timeout, status, body). */
export class IdpHttpError extends Error {
  /** The IdP answered, and the answer was refused (status, size, not JSON): not a timeout. */
  readonly answered: boolean;
  /** The HTTP status of an answer refused for its status. */
  readonly status?: number;
  /** The RFC 6749 §5.2 `error` of a 400 answer, when its body names one. */
  readonly oauthError?: string;
  /** Where a redirect (3xx) answer pointed, as `redirectTarget` shows it; not followed. */
  readonly location?: string;
  constructor(
    message: string,
    options?: {
      cause?: unknown;
      answered?: boolean;
      status?: number;
      oauthError?: string;
      location?: string;
    },
  ) {
    super(message, options);
    this.name = 'IdpHttpError';
    this.answered = options?.answered === true;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.oauthError !== undefined) this.oauthError = options.oauthError;
    if (options?.location !== undefined) this.location = options.location;
  }
}

/**
 * The `Location` of a redirect (RFC 9110 §10.2.2), resolved against the request's URL, without
 * user information, query or fragment (they may carry secrets) and at most 200 characters; ''
 * when the answer has none that parses.
 */
function redirectTarget(url: string, response: Response): string {
  const location = response.headers.get('location');
  if (location === null || !URL.canParse(location, url)) return '';
  const target = new URL(location, url);
  target.username = '';
  target.password = '';
  const shown = `${target.origin}${target.pathname}${target.search || target.hash ? '?…' : ''}`;
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}

/**
 * Why a request failed, from the network error under fetch's `TypeError` — the difference
 * between a wrong address, a provider that is down and a certificate this host does not trust is
 * the whole diagnosis. TLS failures say `TLS` and the reason (OpenSSL's words and code).
 */
function failure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === undefined)
    return typeof cause?.message === 'string' && cause.message !== ''
      ? `failed (${cause.message.slice(0, 200)})`
      : 'failed';
  const plain: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name not resolved',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  if (plain[code] !== undefined) return `failed (${plain[code]})`;
  const tls =
    /CERT|SELF_SIGNED|UNABLE_TO_|^ERR_SSL_|^ERR_TLS_|HOSTNAME_MISMATCH/.test(code) &&
    typeof cause?.message === 'string';
  return tls
    ? `failed (TLS: ${String(cause?.message).slice(0, 200)}, ${code})`
    : `failed (${code})`;
}

/** Options of {@link fetchJson}. */
export interface FetchJsonOptions {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly init?: RequestInit;
  /** The `Accept` header; default `application/json`. */
  readonly accept?: string;
}

/**
 * `Accept` of a JWKS request: RFC 7517 §8.5 registers `application/jwk-set+json`, and most
 * providers answer `application/json`. The answer's Content-Type is not checked at all (any JSON
 * object is read), so either is accepted.
 */
export const JWKS_ACCEPT = 'application/jwk-set+json, application/json';

/**
 * Fetches a JSON object within `timeoutMs`. Redirects are not followed (an IdP moving its keys
 * elsewhere is a configuration change, not something to trust silently).
 *
 * The deadline is kept here, not only by the signal handed to fetch: Node's fetch (undici)
 * follows that signal through weak references, and after a garbage collection an abort can be
 * lost (nodejs/node#55428, nodejs/undici#4068), leaving the call waiting on a silent IdP for as
 * long as it stays silent. The call is also aborted, so the connection is dropped when the abort
 * does arrive.
 */
export async function fetchJson(
  url: string,
  options: FetchJsonOptions,
): Promise<Record<string, unknown>> {
  const timeout = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new DOMException('The operation timed out', 'TimeoutError');
      timeout.abort(reason);
      reject(reason);
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([fetchAndRead(url, options, timeout.signal), deadline]);
  } catch (cause) {
    if (timeout.signal.aborted && !(cause instanceof IdpHttpError && cause.answered))
      throw new IdpHttpError(`${options.init?.method ?? 'GET'} ${url} timed out`, { cause });
    throw cause;
  } finally {
    clearTimeout(timer);
  }
}

async function fetchAndRead(
  url: string,
  options: FetchJsonOptions,
  timeout: AbortSignal,
): Promise<Record<string, unknown>> {
  // Aborted by readBounded when the body outgrows the limit, so the connection is dropped at once.
  const tooLarge = new AbortController();
  let response: Response;
  try {
    response = await options.fetch(url, {
      ...options.init,
      redirect: 'manual',
      signal: AbortSignal.any([tooLarge.signal, timeout]),
      headers: {
        accept: options.accept ?? 'application/json',
        ...(options.init?.headers as Record<string, string>),
      },
    });
  } catch (cause) {
    const reason = (cause as Error)?.name === 'TimeoutError' ? 'timed out' : failure(cause);
    throw new IdpHttpError(`${options.init?.method ?? 'GET'} ${url} ${reason}`, { cause });
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new IdpHttpError(`${url} answered more than ${MAX_BODY_BYTES} bytes`, {
      answered: true,
    });
  }
  if (!response.ok) {
    const oauthError = response.status === 400 ? await errorCode(url, response, tooLarge) : '';
    const location =
      response.status >= 300 && response.status < 400 ? redirectTarget(url, response) : '';
    await response.body?.cancel().catch(() => undefined);
    // The provider's RFC 6749 §5.2 code says why (oidc-provider's introspection of a JWT:
    // `unsupported_token_type`); its description is not repeated, being free text.
    const why = oauthError === '' ? '' : ` (${oauthError})`;
    throw new IdpHttpError(
      `${url} answered HTTP ${response.status}${why}${location === '' ? '' : `, a redirect to ${location} (not followed)`}`,
      {
        answered: true,
        status: response.status,
        ...(oauthError === '' ? {} : { oauthError }),
        ...(location === '' ? {} : { location }),
      },
    );
  }
  const text = await readBounded(url, response, tooLarge);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new IdpHttpError(`${url} did not answer JSON`, { cause, answered: true });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new IdpHttpError(`${url} did not answer a JSON object`, { answered: true });
  return value as Record<string, unknown>;
}

/**
 * The RFC 6749 §5.2 `error` code of a 400 answer (`invalid_client` tells refused client
 * credentials from a bad request), or '' when the body names none. Only the code's own
 * characters (§5.2: %x20-21 / %x23-5B / %x5D-7E) are kept, so it is safe to log.
 */
async function errorCode(url: string, response: Response, tooLarge: AbortController) {
  try {
    const body: unknown = JSON.parse(await readBounded(url, response, tooLarge));
    const error = (body as { error?: unknown } | null)?.error;
    return typeof error === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error)
      ? error
      : '';
  } catch {
    return '';
  }
}

/**
 * Reads a body of at most {@link MAX_BODY_BYTES}, stopping (and dropping the connection) as soon
 * as it grows past the limit. A chunked answer has no Content-Length, so `response.text()` would
 * buffer an endless body until the timeout: the limit must be enforced while reading.
 */
async function readBounded(
  url: string,
  response: Response,
  tooLarge: AbortController,
): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        tooLarge.abort();
        await reader.cancel().catch(() => undefined);
        throw new IdpHttpError(`${url} answered more than ${MAX_BODY_BYTES} bytes`, {
          answered: true,
        });
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof IdpHttpError) throw cause;
    throw new IdpHttpError(`Reading ${url} failed`, { cause });
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** RFC 3986 §2.3: unreserved characters, which percent-encoding normalisation decodes. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Decodes percent-encoded unreserved characters and upper-cases the hex of the rest (§6.2.2.1–2). */
function normalisePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** Characters no URI holds (RFC 3986 §2): C0 controls, space, DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is refused
const NOT_IN_A_URI = /[\x00-\x20\x7f]/;

/**
 * The form in which a DPoP proof's `htu` and the request URI are compared: RFC 9449 §4.3 step 9
 * compares them "without query and fragment parts", after syntax-based normalisation (RFC 3986
 * §6.2.2: case, percent-encoding, dot segments) and scheme-based normalisation (§6.2.3: default
 * port dropped, empty path as `/`). The WHATWG URL parser does the case, port and dot-segment
 * steps; percent-encoding of unreserved characters is decoded here. A value with dot segments
 * or a backslash is compared by no caller: see {@link routerReadsOtherwise}; one with a control
 * character or a space is no URI (`undefined`).
 *
 * @returns the normalised `scheme://host[:port]/path`, or `undefined` for a value that is not an
 *   absolute http(s) URI.
 */
export function normaliseHtu(value: string): string | undefined {
  // RFC 3986 §2: a URI holds no control character or space. The WHATWG parser would drop a tab
  // or line break silently (and trim the rest at either end), so `/x/.<TAB>./members` would
  // resolve to `/members` while no dot segment was seen in it: such a value is not a URI.
  if (NOT_IN_A_URI.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalisePercentEncoding(url.pathname)}`;
}

const ROUTER_READS_OTHERWISE = /^[^?#]*?(?:\\|\/(?:\.|%2e){1,2}(?:[/?#]|$))/i;

/**
 * Whether a request URI's path holds a `.` or `..` segment (also percent-encoded, RFC 3986
 * §2.3) or a backslash. A router matches such a path as written (`/lists/L/members/..` runs the
 * member route with `..` as the username), while normalising it (RFC 3986 §5.2.4; WHATWG reads
 * `\` as `/`) names another resource (`/lists/L`): RFC 9449 §4.3 step 9 must not match a proof
 * for that one; nor a proof whose own `htu` holds one for the resource it resolves to. Only the
 * path is looked at (up to `?` or `#`); dots within a segment are ordinary characters.
 */
export function routerReadsOtherwise(url: string): boolean {
  return ROUTER_READS_OTHERWISE.test(url);
}

/** Distinct URIs remembered by a {@link createHtuNormaliser}; the memo starts over beyond. */
const MEMO_ENTRIES = 1000;

/**
 * The form in which RFC 9449 §4.3 step 9 compares a URI: {@link normaliseHtu}, or `undefined`
 * (matches nothing) for a value that is not an absolute http(s) URI or whose path a router reads
 * otherwise than normalising it would ({@link routerReadsOtherwise}).
 */
function comparableHtu(value: string): string | undefined {
  return routerReadsOtherwise(value) ? undefined : normaliseHtu(value);
}

/**
 * {@link comparableHtu} with a memo: a client calls the same few URIs over and over, and the
 * WHATWG parse and the dot-segment scan are a good part of a proof's bookkeeping. Bounded: when
 * full, the memo is dropped whole and refilled by the URIs still in use. The last value asked
 * for is compared first: a request URI is a new string each time, and comparing it with the
 * last one costs less than hashing it for the map (or scanning it again).
 */
export function createHtuNormaliser(): (value: string) => string | undefined {
  let memo = new Map<string, string | undefined>();
  let lastValue: string | undefined;
  let lastNormalised: string | undefined;
  return (value) => {
    if (value === lastValue) return lastNormalised;
    const normalised = memoised(value);
    lastValue = value;
    lastNormalised = normalised;
    return normalised;
  };

  function memoised(value: string): string | undefined {
    const known = memo.get(value);
    if (known !== undefined || memo.has(value)) return known;
    const normalised = comparableHtu(value);
    if (memo.size >= MEMO_ENTRIES) memo = new Map();
    memo.set(value, normalised);
    return normalised;
  }
}

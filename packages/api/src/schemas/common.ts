import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/** RFC 9457 problem details, with the API's `code` and the offending fields as extensions. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI reference identifying the problem type' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.Optional(Type.String({ description: 'Stable machine-readable error code' })),
    expected: Type.Optional(
      Type.String({
        description:
          'With AUTH_EXPLAIN: what the API expected (audience, issuer, token type, permissions claim)',
      }),
    ),
    received: Type.Optional(
      Type.String({
        description: 'With AUTH_EXPLAIN: what the token carried instead (never the token itself)',
      }),
    ),
    error: Type.Optional(
      Type.String({
        description:
          'On the back-channel logout receiver: the OAuth 2.0 error code (RFC 6749 §5.2), `invalid_request`',
      }),
    ),
    error_description: Type.Optional(
      Type.String({
        description: 'With `error`: the reason, in the characters RFC 6749 §5.2 allows',
      }),
    ),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'e.g. body.title, querystring.limit, params.id' }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { description: 'RFC 9457 problem details (application/problem+json)' },
);

/** `Problem` is registered once as a shared schema (`app.addSchema`) and referenced. */
export const PROBLEM_ID = 'Problem';
const ProblemRef = Type.Ref(PROBLEM_ID);

/** One documented error response: problem details under their own media type (RFC 9457 §3). */
export const problemResponse = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: ProblemRef } },
};

/**
 * 503 Service Unavailable (RFC 9110 §15.6.4) on a route that writes: the ordinary outage, which
 * wrote nothing, or a write whose `COMMIT` got no answer (`db/write-outcome.ts`); the document
 * gives it to every writing route (`openapi-responses.ts`).
 */
export const writeUnavailable = {
  ...problemResponse,
  description:
    'RFC 9457 problem details: `unavailable` (the database, the decision point or the identity provider cannot be used; nothing was changed), or `write_outcome_unknown` (type `urn:todo-sso:problem:write-outcome-unknown`, with `Retry-After`): the connection to the database was lost while the change was being saved, and it may or may not have been saved; repeating the request with the same `Idempotency-Key` is safe, and so is repeating a PUT, PATCH or DELETE that sets a state',
};

/** The error responses a route can produce, documented with the problem-details shape. */
export function problems<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((s) => [s, problemResponse])) as Record<
    S[number],
    typeof problemResponse
  >;
}

/** The longest `cursor` a request may carry back. */
export const MAX_CURSOR_LENGTH = 200;

/** `limit` (1–100, default 20) and the opaque `cursor` of keyset pagination. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, at most 100' }),
  ),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_CURSOR_LENGTH,
      description: 'Opaque: the `nextCursor` of the previous page',
    }),
  ),
};

/** One page of a keyset-paginated listing of `item`s. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    /** Pass back as `cursor` for the next page; `null` on the last page. */
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  });
}

/** The type of a `PageOf` schema, for items of type `T`. */
export type Page<T> = Static<ReturnType<typeof PageOf<TUnsafe<T>>>>;

/**
 * Text either engine stores exactly as sent: no U+0000 (PostgreSQL's `text` cannot hold it, SQLite
 * can, so the engines would disagree) and no unpaired UTF-16 surrogate (it has no UTF-8 form:
 * both drivers would silently store U+FFFD instead, RFC 3629 §3). Patterns are matched with
 * Unicode semantics, so a paired surrogate (an emoji) is one code point outside the class.
 */
export const TEXT_PATTERN = '^[^\\u0000\\uD800-\\uDFFF]*$';

/** What a 400 says of text refused by {@link TEXT_PATTERN}. */
export const TEXT_PATTERN_MESSAGE = 'must not contain U+0000 or an unpaired surrogate';

type TextOptions = { minLength?: number; maxLength?: number; description?: string };

/** A string input stored in the database; lengths count code points (JSON Schema §6.3.1). */
export function Text(options: TextOptions) {
  return Type.String({ ...options, pattern: TEXT_PATTERN });
}

/**
 * One line a person reads back (a todo's title, a list's name): {@link TEXT_PATTERN}, and no
 * control character (Unicode's general category Cc): C0 (U+0000–U+001F, tab and line breaks
 * included), DEL (U+007F) and C1 (U+0080–U+009F). They do not display, may reorder or hide what
 * follows in a terminal (ESC starts an ANSI sequence, and so does U+009B, CSI, which xterm obeys
 * in UTF-8; U+0085 is a line break), and the two engines would not even agree on storing U+0000.
 */
export const LINE_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]*$';

/** What a 400 says of text refused by {@link LINE_PATTERN}. */
export const LINE_PATTERN_MESSAGE =
  'must not contain a control character (U+0000–U+001F, U+007F–U+009F) or an unpaired surrogate';

/**
 * Several lines of text (a todo's description): {@link LINE_PATTERN}, but tab, line feed and
 * carriage return (U+0009, U+000A, U+000D) are allowed.
 */
export const MULTILINE_PATTERN =
  '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]*$';

/** What a 400 says of text refused by {@link MULTILINE_PATTERN}. */
export const MULTILINE_PATTERN_MESSAGE =
  'must not contain a control character other than tab, line feed and carriage return (U+0000–U+001F, U+007F–U+009F) or an unpaired surrogate';

/** The most characters of an idempotency key, quotes not counted. */
export const KEY_MAX_CHARS = 255;

/** The characters of an idempotency key: visible ASCII (VCHAR) but `"` and `\`, 1 to 255. */
const KEY_CHARS = `[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,${KEY_MAX_CHARS}}`;

/** The same characters and SP, which an sf-string holds (RFC 8941 §3.3.3): inside quotes only. */
const QUOTED_KEY_CHARS = `[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]{1,${KEY_MAX_CHARS}}`;

/** The longest `Idempotency-Key` field value {@link IDEMPOTENCY_KEY_PATTERN} takes: 255 in quotes. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = KEY_MAX_CHARS + 2;

/**
 * An `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header §2.1): an sf-string (RFC 8941
 * §3.3.3) in double quotes, spaces included; the same characters but SP unquoted are taken too,
 * as clients written for Stripe-style APIs send them. No escapes: `"` and `\` are refused. A
 * repeated field (§2.1: a client MUST NOT send more than one) arrives joined by `, ` (RFC 9110
 * §5.3): refused all the same, by the space of a bare key or the inner `"` of quoted ones.
 */
export const IDEMPOTENCY_KEY_PATTERN = `^(?:"${QUOTED_KEY_CHARS}"|${KEY_CHARS})$`;

/** A key as the MCP tool `create_todo` takes it: the characters alone, without quotes. */
export const IDEMPOTENCY_KEY_CHARS = `^${KEY_CHARS}$`;

/**
 * What a 400 says of a key longer than the draft's field allows here: the limit named, as a
 * key of a client that picks long ones (a hash, a composite) is otherwise refused with no word
 * of why. 255 characters without the quotes; RFC 9110 §5.4 lets a server refuse a field it
 * finds too long (400, or 431 for the whole header section).
 */
export const IDEMPOTENCY_KEY_TOO_LONG = `is longer than ${KEY_MAX_CHARS} characters (quotes not counted), the most this API takes`;

/** Whether an `Idempotency-Key` field value, without its quotes, is longer than allowed. */
export function idempotencyKeyTooLong(value: string): boolean {
  const quoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
  return (quoted ? value.length - 2 : value.length) > KEY_MAX_CHARS;
}

/** What a 400 says of a key refused by {@link IDEMPOTENCY_KEY_PATTERN}. */
export const IDEMPOTENCY_KEY_MESSAGE =
  'must be one string of 1 to 255 visible ASCII characters other than " and \\ (spaces too, in double quotes), in double quotes or bare';

/** The message of each text pattern, for the 400 naming the field ({@link fieldErrors}). */
export const TEXT_PATTERN_MESSAGES: ReadonlyMap<string, string> = new Map([
  [TEXT_PATTERN, TEXT_PATTERN_MESSAGE],
  [LINE_PATTERN, LINE_PATTERN_MESSAGE],
  [MULTILINE_PATTERN, MULTILINE_PATTERN_MESSAGE],
  [IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_MESSAGE],
]);

/** One line of text ({@link LINE_PATTERN}), the rule said in the document too. */
export function LineText({ description, ...options }: TextOptions) {
  const rule = 'No control characters (U+0000–U+001F, U+007F–U+009F) nor unpaired surrogates.';
  return Type.String({
    ...options,
    pattern: LINE_PATTERN,
    description: description ? `${description}. ${rule}` : rule,
  });
}

/** Several lines of text ({@link MULTILINE_PATTERN}), the rule said in the document too. */
export function MultilineText({ description, ...options }: TextOptions) {
  const rule =
    'No control characters (U+0000–U+001F, U+007F–U+009F) but tab, line feed and carriage return, nor unpaired surrogates.';
  return Type.String({
    ...options,
    pattern: MULTILINE_PATTERN,
    description: description ? `${description}. ${rule}` : rule,
  });
}

export const Uuid = Type.String({ format: 'uuid' });

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/**
 * Text that shows as nothing: only white space (Unicode's White_Space: U+00A0, U+3000, U+2028…),
 * format characters (general category Cf: U+200B, U+2060, U+FEFF, U+00AD, U+180E, the
 * bidirectional marks, tag characters) and the other default-ignorable code points (UAX #44
 * Default_Ignorable_Code_Point: Hangul fillers, variation selectors, the combining grapheme
 * joiner), which Unicode §5.21 lets a renderer draw as nothing. Such characters among visible
 * ones (an emoji's ZWJ sequence, a right-to-left mark inside a word) are not blank.
 */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}]*$/u;

/** Whether a todo's title or a list's name would show as an empty row ({@link INVISIBLE_ONLY}). */
export const isBlank = (text: string): boolean => INVISIBLE_ONLY.test(text);

/** What a 400 says of a todo's title or a list's name that {@link isBlank}. */
export const BLANK_MESSAGE = 'must contain a visible character, not only spaces or invisible ones';

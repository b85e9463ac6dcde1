import fc from 'fast-check';
import { type Item, ParseError, parseItem, serializeItem } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_MESSAGE, IDEMPOTENCY_KEY_TOO_LONG } from '../src/schemas/common.js';
import { sqliteDriver } from './support/databases.js';
import { useHarness } from './support/harness.js';

// The `Idempotency-Key` field (draft-ietf-httpapi-idempotency-key-header §2.1: an Item whose
// value MUST be an sf-string, RFC 8941 §3.3.3) checked against `structured-headers`, a parser and
// serializer of RFC 8941 written independently of the API's grammar (`schemas/common.ts`).

/** sf-string characters (RFC 8941 §3.3.3): SP and visible ASCII; `"` and `\` travel escaped. */
const SF_CHAR = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Printable ASCII with SP, the characters every field value below is made of. */
const sfChars = (min: number, max: number) =>
  fc.array(SF_CHAR, { minLength: min, maxLength: max }).map((cs) => cs.join(''));

/**
 * Field values: sf-strings as the independent serializer writes them (escapes included), some
 * with parameters, some past the API's 255 characters, and bare text. No leading or trailing
 * SP: a field value's surrounding whitespace is not part of it (RFC 9110 §5.5), and Node's
 * parser strips it before the API sees it.
 */
const fieldValue = fc
  .oneof(
    sfChars(0, 40).map((s) => serializeItem([s, new Map()])),
    fc.uuid().map((s) => serializeItem([s, new Map()])),
    sfChars(250, 260).map((s) => serializeItem([s, new Map()])),
    fc
      .tuple(sfChars(1, 20), fc.constantFrom('a', 'k9', 'x-y'), fc.integer())
      .map(([s, k, n]) => serializeItem([s, new Map([[k, n]])])),
    sfChars(1, 40),
  )
  .filter((v) => v.trim() === v && v.length > 0);

/** The independent parser's reading: the sf-string and its parameters, or why there is none. */
function sfString(value: string): { string: string; params: number } | 'not an sf-string' {
  let item: Item;
  try {
    item = parseItem(value);
  } catch (e) {
    if (e instanceof ParseError) return 'not an sf-string';
    throw e;
  }
  return typeof item[0] === 'string'
    ? { string: item[0], params: item[1].size }
    : 'not an sf-string';
}

/**
 * Why the API refuses an sf-string RFC 8941 allows, each a rule the root README ("Retrying a
 * create") and the 400's message state; undefined when none applies (a defect).
 */
function documentedReason(s: string, params: number): string | undefined {
  if (s.length === 0) return 'empty: a key is 1 to 255 characters';
  if (s.length > 255)
    return 'too long: 255 characters at most (RFC 9110 §5.4 lets a server refuse)';
  if (/["\\]/.test(s)) return 'escapes: " and \\ are refused, no escape sequence is taken';
  if (params > 0) return 'parameters: the draft defines none; the README says none are taken';
  return undefined;
}

describe('Idempotency-Key against an independent RFC 8941 parser', () => {
  const h = useHarness(sqliteDriver);

  it('takes a key only as the sf-string the parser reads (or those characters bare), refuses the rest with a 400 naming the field, and every sf-string refused for a documented reason', async () => {
    const seen = { quoted: 0, bare: 0, refusedNotSf: 0, refusedSf: new Set<string>() };
    await fc.assert(
      fc.asyncProperty(fieldValue, async (value) => {
        const response = await h.as('alice', {
          method: 'POST',
          url: '/todos/',
          headers: { 'idempotency-key': value },
          payload: { title: 'Buy milk' },
        });
        const parsed = sfString(value);
        if (response.statusCode === 201) {
          const rows = await h.context.db.kysely
            .selectFrom('idempotency_keys')
            .select('key')
            .where('key', '=', typeof parsed === 'string' ? value : parsed.string)
            .execute();
          if (typeof parsed !== 'string') {
            // (a) A quoted key is an sf-string without parameters, and the API's key is its value.
            expect(parsed.params).toBe(0);
            expect(serializeItem([parsed.string, new Map()])).toBe(value);
            expect(rows).toHaveLength(1);
            seen.quoted += 1;
          } else {
            // The documented extension (README): the characters of an sf-string without their
            // quotes, as Stripe-style clients send them; the key is those characters, the same
            // key as their quoted form.
            expect(sfString(`"${value}"`)).toEqual({ string: value, params: 0 });
            expect(rows).toHaveLength(1);
            seen.bare += 1;
          }
          return;
        }
        // (b) Everything else is the 400 naming the field, as problem details (RFC 9457 §3).
        expect(response.statusCode).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        const body = response.json();
        expect(body).toMatchObject({ status: 400, code: 'validation_failed' });
        expect(body.errors).toHaveLength(1);
        expect(body.errors[0].field).toBe('headers.idempotency-key');
        expect([IDEMPOTENCY_KEY_MESSAGE, IDEMPOTENCY_KEY_TOO_LONG]).toContain(
          body.errors[0].message,
        );
        if (typeof parsed === 'string') {
          seen.refusedNotSf += 1;
          return;
        }
        // (c) An sf-string refused is refused for a rule the API documents.
        const reason = documentedReason(parsed.string, parsed.params);
        expect(reason, `an sf-string refused for no documented reason: ${value}`).toBeDefined();
        seen.refusedSf.add((reason as string).split(':')[0] as string);
        if (parsed.string.length > 255 && parsed.params === 0)
          expect(body.errors[0].message).toBe(IDEMPOTENCY_KEY_TOO_LONG);
      }),
      { numRuns: 150 },
    );
    // The draws reached every kind of value, so the property above said something of each.
    expect(seen.quoted).toBeGreaterThan(0);
    expect(seen.bare).toBeGreaterThan(0);
    expect(seen.refusedNotSf).toBeGreaterThan(0);
    expect(seen.refusedSf.size).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['""', 'empty'],
    ['"a\\"b"', 'escapes'],
    ['"a\\\\b"', 'escapes'],
    ['"abc";v=1', 'parameters'],
    [`"${'k'.repeat(256)}"`, 'too long'],
  ])('refuses the sf-string %s (%s), which RFC 8941 §3.3.3 allows', async (value, why) => {
    const parsed = sfString(value);
    expect(parsed).not.toBe('not an sf-string');
    const { string, params } = parsed as { string: string; params: number };
    expect(documentedReason(string, params)).toMatch(new RegExp(`^${why}:`));
    const response = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      headers: { 'idempotency-key': value },
      payload: { title: 'Buy milk' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].field).toBe('headers.idempotency-key');
  });

  it('takes spaces inside the quotes, as an sf-string holds them, and still refuses a repeated field joined by ", "', async () => {
    const create = (key: string) =>
      h.as('alice', {
        method: 'POST',
        url: '/todos/',
        headers: { 'idempotency-key': key },
        payload: { title: 'Spaced key' },
      });
    const first = await create('"order 42, second try"');
    expect(first.statusCode).toBe(201);
    expect(sfString('"order 42, second try"')).toEqual({
      string: 'order 42, second try',
      params: 0,
    });
    const again = await create('"order 42, second try"');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    // Two fields as RFC 9110 §5.3 joins them: quoted, bare, or one of each.
    for (const joined of ['"a b", "c"', 'ab, cd', '"a b", cd', 'ab, "c d"']) {
      const response = await create(joined);
      expect(response.statusCode, joined).toBe(400);
      expect(response.json().errors[0].field).toBe('headers.idempotency-key');
    }
  });
});

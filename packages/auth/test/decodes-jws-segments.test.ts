import { describe, expect, test } from 'vitest';
import { decodeSegment } from '../src/token/decode.js';

const segment = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/**
 * A JWS segment is base64url of UTF-8 JSON (RFC 7515 §5.2 step 3, RFC 7519 §7.2 step 10): the
 * bytes are read as UTF-8 in one pass, and a segment whose bytes are not UTF-8 is refused, even
 * when the decoder could have shown it with replacement characters.
 */
describe('decoding one JWS segment', () => {
  test('ASCII and other UTF-8 JSON objects decode to their values', () => {
    expect(decodeSegment(segment('{"jti":"a","iat":1}'))).toEqual({ jti: 'a', iat: 1 });
    expect(decodeSegment(segment('{"name":"Zoë Ünal 日本"}'))).toEqual({ name: 'Zoë Ünal 日本' });
    // U+FFFD itself, correctly encoded, is a character like any other.
    expect(decodeSegment(segment('{"x":"a\uFFFDb"}'))).toEqual({ x: 'a\uFFFDb' });
    // A byte-order mark before the JSON is dropped.
    expect(decodeSegment(segment('\uFEFF{"a":1}'))).toEqual({ a: 1 });
  });

  test('bytes that are not UTF-8 are refused', () => {
    const json = (inner: number[]) =>
      Buffer.concat([Buffer.from('{"x":"'), Buffer.from(inner), Buffer.from('"}')]);
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]])
      expect(decodeSegment(segment(json(bad))), bad.join(' ')).toBeUndefined();
    // Latin-1 text is not UTF-8 either.
    expect(decodeSegment(segment(Buffer.from('{"x":"é"}', 'latin1')))).toBeUndefined();
  });

  test('anything but a JSON object is refused', () => {
    for (const text of ['[1]', '"s"', 'null', '1', '{"a":', ''])
      expect(decodeSegment(segment(text)), text).toBeUndefined();
    expect(decodeSegment('abcde')).toBeUndefined();
  });
});

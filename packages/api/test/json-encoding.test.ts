import { describe, expect, it } from 'vitest';
import { hasDuplicateName } from '../src/http/json-body.js';
import { drivers, rowCount } from './support/databases.js';
import { useHarness } from './support/harness.js';

/** `{"title":"café"}` with the é as one Latin-1 byte: not UTF-8. */
const latin1 = Buffer.concat([
  Buffer.from('{"title":"caf'),
  Buffer.from([0xe9]),
  Buffer.from('"}'),
]);

/**
 * RFC 8259 §8.1: JSON between systems is UTF-8. A body in another encoding, or with bytes that
 * are not UTF-8, is refused rather than stored with U+FFFD in place of what was sent.
 */
describe.each(drivers)('JSON body encoding on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const post = (contentType: string, payload: Buffer | string) =>
    h.as('alice', {
      method: 'POST',
      url: '/todos/',
      headers: { 'content-type': contentType },
      payload,
    });

  it.skipIf(skip)('refuses bytes that are not UTF-8 with 400 and stores nothing', async () => {
    const before = await rowCount(h.context.db, 'todos');
    const response = await post('application/json', latin1);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 400,
      code: 'invalid_request',
      detail: 'Body is not valid UTF-8 (RFC 8259 §8.1)',
    });
    expect(await rowCount(h.context.db, 'todos')).toBe(before);
  });

  it.skipIf(skip).each(['iso-8859-1', 'utf-16', 'latin1'])(
    'refuses a JSON body declared as charset=%s with 415 and stores nothing',
    async (charset) => {
      const before = await rowCount(h.context.db, 'todos');
      const response = await post(`application/json; charset=${charset}`, latin1);
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      expect(await rowCount(h.context.db, 'todos')).toBe(before);
    },
  );

  it
    .skipIf(skip)
    .each([
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; Charset="UTF-8"',
    ])('accepts UTF-8 declared as %s, a leading byte-order mark included', async (contentType) => {
    for (const payload of [
      Buffer.from('{"title":"café ☕"}'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"title":"café ☕"}')]),
    ]) {
      const response = await post(contentType, payload);
      expect(response.statusCode).toBe(201);
      const read = await h.as('alice', { method: 'GET', url: `/todos/${response.json().id}` });
      expect(read.json().title).toBe('café ☕');
    }
  });

  it.skipIf(skip)('still refuses a __proto__ key and an empty body with 400', async () => {
    for (const payload of ['{"title":"x","__proto__":{"completed":true}}', '']) {
      const response = await post('application/json', payload);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'invalid_request' });
    }
  });

  it.skipIf(skip).each([
    ['the title twice', '{"title":"shown","title":"stored"}'],
    ['the title twice, once escaped', '{"title":"a","\\u0074itle":"b"}'],
    ['a nested name twice', '{"title":"a","x":{"k":1,"k":2}}'],
  ])(
    'refuses a body naming %s in one object with 400 and stores nothing (RFC 8259 §4, RFC 7493 §2.3)',
    async (_name, payload) => {
      const before = await rowCount(h.context.db, 'todos');
      const response = await post('application/json', payload);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        status: 400,
        code: 'invalid_request',
        detail: 'A member name appears twice in one JSON object (RFC 8259 §4)',
      });
      expect(await rowCount(h.context.db, 'todos')).toBe(before);
    },
  );

  it.skipIf(skip)('accepts the same name in different objects and inside strings', async () => {
    const response = await h.as('alice', {
      method: 'POST',
      url: '/access/v1/evaluation',
      headers: { 'content-type': 'application/json' },
      payload:
        '{"subject":{"type":"user","id":"alice"},"resource":{"type":"todo","id":"\\"id\\":"},' +
        '"action":{"name":"can_read"}}',
    });
    expect(response.statusCode).not.toBe(400);
    const created = await post('application/json', '{"title":"\\"title\\":1, \\"title\\":2"}');
    expect(created.statusCode).toBe(201);
  });
});

describe('hasDuplicateName', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"b":{"a":2}}', false],
    ['[{"a":1},{"a":2}]', false],
    ['{"a":"\\"a\\":","b":"\\\\","a":0}', true],
    ['{"a\\\\":1,"a":2}', false],
    ['{"\\u0061":1,"a":2}', true],
    ['{"a" \n :1, "b":[{"c":1,"c":[]}]}', true],
    [JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]))), false],
    [`{${Array.from({ length: 40 }, (_, i) => `"k${i}":0`).join(',')},"k3":1}`, true],
    ['"just a string"', false],
  ])('%s → %s', (text, expected) => {
    JSON.parse(text);
    expect(hasDuplicateName(text)).toBe(expected);
  });
});

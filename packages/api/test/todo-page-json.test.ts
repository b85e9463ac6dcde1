import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import type { Page } from '../src/schemas/common.js';
import { todoRepository } from '../src/todos/repository.js';
import { type Todo, TodoPage } from '../src/todos/schemas.js';
import { drivers, useMigratedDb } from './support/databases.js';

const ISSUER = 'https://idp.test';

/**
 * Text a stored row may hold (written by the repository here, not through the API, which also
 * refuses control characters): any code point but U+0000, surrogates paired.
 */
const text = (minLength: number) =>
  fc
    .string({ unit: 'grapheme', minLength, maxLength: 40 })
    .filter((s) => !s.includes('\u0000') && (minLength === 0 || s.trim() !== ''));

/** Text that JSON must escape or that looks like the page's own structure, and any other. */
const tricky = (minLength: number) =>
  fc
    .string({
      unit: fc.oneof(
        fc.constantFrom(
          '"',
          '\\',
          '/',
          '\u0001',
          '\u001f',
          '\b',
          '\f',
          '\n',
          '\r',
          '\t',
          '\u007f',
          '\u2028',
          '\u2029',
          '\ufeff',
          'é',
          '😀',
          '},{"id":"',
          ',{"id":"',
          '"nextCursor":null}',
        ),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      ),
      minLength,
      maxLength: 12,
    })
    .filter((s) => minLength === 0 || s.trim() !== '');

/** A page serialised as `GET /todos/` promises it: through Fastify with the route's schema. */
const serialiser = Fastify();
serialiser.post('/', { schema: { response: { 200: TodoPage } } }, async (request) => request.body);
afterAll(() => serialiser.close());
async function serialised(page: Page<Todo>): Promise<string> {
  return (await serialiser.inject({ method: 'POST', url: '/', payload: page })).body;
}

/** The bytes of a response body as the route sends it (a string goes out as its UTF-8). */
function bytes(body: string | Buffer): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

describe.each(drivers)(
  'the page of todos, read as one JSON value, on $driver',
  ({ skip, create }) => {
    const db = useMigratedDb({ skip, create });

    it.skipIf(skip)(
      'gives every todo exactly as reading it alone does: any text, null, booleans, versions, timestamps',
      async () => {
        const todos = todoRepository(db);
        const lists = listRepository(db);
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                title: text(1),
                description: fc.option(text(0), { nil: null }),
                completed: fc.boolean(),
                // Milliseconds since 2000, up to year 2100, so timestamps cover many shapes.
                at: fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }),
                changes: fc.integer({ min: 0, max: 2 }),
              }),
              { minLength: 1, maxLength: 8 },
            ),
            async (specs) => {
              run += 1;
              const reader = { issuer: ISSUER, subject: `json-${run}` };
              const now = new Date(specs[0]?.at ?? 0);
              await lists.ensureDefault(reader, now);
              for (const spec of specs) {
                const at = new Date(spec.at);
                const todo = await todos.create(reader, spec, at);
                for (let i = 0; i < spec.changes; i += 1)
                  await todos.update(reader, todo.id, { completed: !spec.completed }, at);
              }
              const page = await todos.list(reader, { limit: specs.length - 1 || 1 });
              const alone = await Promise.all(page.items.map((t) => todos.get(reader, t.id)));
              expect(page.items).toEqual(alone);
              expect(JSON.stringify(page.items)).toBe(JSON.stringify(alone));
            },
          ),
          { numRuns: 15 },
        );
      },
      60_000,
    );

    it.skipIf(skip)(
      'writes each page as its response body byte for byte as the schema serialises it: escapes, unicode, nulls, cursors, the last page',
      async () => {
        const todos = todoRepository(db);
        const lists = listRepository(db);
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                title: tricky(1),
                description: fc.option(tricky(0), { nil: null }),
                completed: fc.boolean(),
                // A few milliseconds apart at most, so equal timestamps are common.
                offset: fc.integer({ min: 0, max: 3 }),
              }),
              { maxLength: 12 },
            ),
            fc.integer({ min: 1, max: 5 }),
            fc.constantFrom(undefined, true, false),
            async (specs, limit, completed) => {
              run += 1;
              const reader = { issuer: ISSUER, subject: `body-${run}` };
              const base = Date.parse('2026-03-01T00:00:00.000Z');
              await lists.ensureDefault(reader, new Date(base));
              for (const spec of specs)
                await todos.create(reader, spec, new Date(base + spec.offset));
              const filter = completed === undefined ? {} : { completed };
              let cursor: string | undefined;
              let pages = 0;
              do {
                const options = { limit, ...filter, ...(cursor && { cursor }) };
                // Text (PostgreSQL) or the UTF-8 bytes (SQLite) sent as the body: its bytes.
                const body = bytes(await todos.listJson(reader, options));
                const page = await todos.list(reader, options);
                const alone = await Promise.all(page.items.map((t) => todos.get(reader, t.id)));
                expect(page.items).toEqual(alone);
                expect(body).toEqual(Buffer.from(await serialised(page)));
                expect(JSON.parse(body.toString('utf8'))).toEqual(page);
                cursor = page.nextCursor ?? undefined;
                pages += 1;
              } while (cursor !== undefined && pages <= specs.length);
              expect(cursor).toBeUndefined();
            },
          ),
          { numRuns: 25 },
        );
      },
      60_000,
    );

    it.skipIf(skip)('writes an empty page as an empty list without a cursor', async () => {
      const todos = todoRepository(db);
      const reader = { issuer: ISSUER, subject: 'nothing-yet' };
      await listRepository(db).ensureDefault(reader, new Date());
      expect(bytes(await todos.listJson(reader, { limit: 20 }))).toEqual(
        Buffer.from('{"items":[],"nextCursor":null}'),
      );
    });

    it.skipIf(skip)(
      'never shows a todo another transaction wrote and then rolled back',
      async () => {
        const todos = todoRepository(db);
        const reader = { issuer: ISSUER, subject: 'rolled-back' };
        const now = new Date('2026-01-01T00:00:00.000Z');
        await listRepository(db).ensureDefault(reader, now);
        const kept = await todos.create(reader, { title: 'kept' }, now);
        let during: Promise<unknown> | undefined;
        await expect(
          db.kysely.transaction().execute(async (tx) => {
            await todos.create(reader, { title: 'rolled back' }, now, tx);
            // Asked while the transaction is open and holds its uncommitted todo.
            during = todos.list(reader, { limit: 20 });
            await new Promise((resolve) => setTimeout(resolve, 20));
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        const page = { items: [kept], nextCursor: null };
        expect(await during).toEqual(page);
        expect(await todos.list(reader, { limit: 20 })).toEqual(page);
      },
    );
  },
);

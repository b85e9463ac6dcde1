import { describe, expect, it } from 'vitest';
import { decodeCursor } from '../src/repositories/cursor.js';
import { pageBody, pageFromJson } from '../src/todos/page-body.js';

/** A todo as the page statement writes it (the API's `Todo`, its keys in the schema's order). */
function todo(n: number, title = `todo ${n}`): string {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, 60 - n)).toISOString();
  return JSON.stringify({
    id,
    listId: '11111111-1111-4111-8111-111111111111',
    title,
    description: null,
    completed: n % 2 === 0,
    createdAt: at,
    updatedAt: at,
    version: 1,
  });
}

/** The row of the page statement: the body of the page as if it were the last, and its count. */
function row(todos: readonly string[]) {
  return { page: `{"items":[${todos.join(',')}],"nextCursor":null}`, count: todos.length };
}

const bytes = (body: string | Buffer) => Buffer.from(body);

/** The UTF-8 of `text` in memory of its own (as libsql hands a BLOB over), not Node's pool. */
function unpooled(text: string): Buffer {
  const buffer = Buffer.alloc(Buffer.byteLength(text));
  buffer.write(text);
  return buffer;
}

describe('the body of GET /todos/ from the page statement', () => {
  const three = [todo(1), todo(2), todo(3)];

  it('is the statement’s JSON itself on the last page: text as it is, bytes not copied', () => {
    const text = row(three);
    expect(pageBody(text, 3)).toBe(text.page);
    const page = unpooled(text.page);
    expect(pageBody({ page, count: 3 }, 3)).toBe(page);
    expect(pageBody(undefined, 20)).toBe('{"items":[],"nextCursor":null}');
  });

  it('cuts the todo past the page and writes the cursor after the page’s last', () => {
    const text = row(three);
    const expected = { items: three.slice(0, 2).map((t) => JSON.parse(t)), nextCursor: '' };
    const body = JSON.parse(bytes(pageBody(text, 2)).toString('utf8'));
    expected.nextCursor = body.nextCursor;
    expect(body).toEqual(expected);
    const last = JSON.parse(three[1] as string);
    expect(decodeCursor(body.nextCursor)).toEqual({ at: last.createdAt, id: last.id });
    expect(pageFromJson(text, 2)).toEqual(body);
    // A page of one: the cursor after the first todo.
    const one = JSON.parse(bytes(pageBody(row(three.slice(0, 2)), 1)).toString('utf8'));
    expect(one.items).toEqual([JSON.parse(three[0] as string)]);
    expect(decodeCursor(one.nextCursor).id).toBe(JSON.parse(three[0] as string).id);
  });

  it('gives the same bytes from SQLite’s bytes as from text, written over the todo past the page', () => {
    const text = row(three);
    const page = unpooled(text.page);
    const body = pageBody({ page, count: 3 }, 2) as Buffer;
    expect(body).toEqual(Buffer.from(pageBody(text, 2)));
    // The database's buffer cut short: the same memory, not a copy.
    expect(body.buffer).toBe(page.buffer);
    expect(body.byteOffset).toBe(page.byteOffset);
    // As Kysely hands a BLOB over: an ArrayBuffer.
    const buffer = unpooled(text.page).buffer as ArrayBuffer;
    expect(pageBody({ page: buffer, count: 3 }, 2)).toEqual(body);
  });

  it('copies only when the cursor would not fit where the todo past the page was', () => {
    // Not a todo the API writes (it always holds two UUIDs): a short one past the page.
    const short = '{"id":"x"}';
    const text = row([todo(1), todo(2), short]);
    const page = unpooled(text.page);
    const body = pageBody({ page, count: 3 }, 2) as Buffer;
    const expected = Buffer.from(pageBody(text, 2));
    expect(body).toEqual(expected);
    page.fill(0);
    expect(body).toEqual(expected);
    expect(JSON.parse(body.toString('utf8')).items).toHaveLength(2);
  });

  it('finds the todos by their `,{"id":"` even when a title holds that text, escaped', () => {
    const tricky = [todo(1, ',{"id":"'), todo(2, '},{"id":"x"}'), todo(3, '"nextCursor":null}')];
    const text = row(tricky);
    const body = pageBody({ page: Buffer.from(text.page), count: 3 }, 2);
    expect(JSON.parse(bytes(body).toString('utf8')).items).toEqual(
      tricky.slice(0, 2).map((t) => JSON.parse(t)),
    );
    expect(bytes(body)).toEqual(bytes(pageBody(text, 2)));
  });
});

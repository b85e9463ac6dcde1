import { type ApiClient, apiClient, unwrap } from '../api/client.js';
import { createTodo } from '../api/create-todo.js';
import type { paths } from '../api/schema.gen.js';
import type { Command, CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { cell, table } from '../output/table.js';
import { nothingChanged, nothingSent } from '../refresh-failure.js';
import { changeOutcome } from '../write-outcome.js';
import { resolveList } from './list-commands.js';
import { visibleArgument } from './visible-text.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where to look when an id names no todo. */
const SEE_IDS = 'todo ls shows your todos and their ids';

type Todo =
  paths['/todos/']['get']['responses'][200]['content']['application/json']['items'][number];

/** Every todo of the caller, page by page (cursor pagination), at most `max`. */
async function allTodos(
  api: ApiClient,
  completed: boolean | undefined,
  max: number,
  list?: string,
) {
  const items: Todo[] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(
      await api.GET('/todos/', {
        params: {
          query: {
            limit: Math.min(100, max - items.length),
            ...(completed === undefined ? {} : { completed }),
            ...(list === undefined ? {} : { list }),
            ...(cursor === undefined ? {} : { cursor }),
          },
        },
      }),
    );
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < max);
  return items;
}

/**
 * A todo id from what was typed: a whole id, or a prefix of one (as `todo ls` shows) that
 * matches exactly one of the caller's todos.
 */
async function resolveId(api: ApiClient, typed: string): Promise<string> {
  if (UUID.test(typed)) return typed.toLowerCase();
  if (!/^[0-9a-f-]{4,}$/i.test(typed))
    throw new CliError(
      'usage',
      `"${typed}" is not a todo id (or a prefix of at least 4 characters); ${SEE_IDS}`,
    );
  const matches = (await allTodos(api, undefined, 10_000)).filter((t) =>
    t.id.startsWith(typed.toLowerCase()),
  );
  if (matches.length === 1) return (matches[0] as Todo).id;
  throw new CliError(
    matches.length === 0 ? 'not_found' : 'usage',
    matches.length === 0
      ? `No todo id starts with ${typed}; ${SEE_IDS}`
      : `${typed} matches ${matches.length} todos; type more of the id`,
  );
}

const shortId = (id: string) => id.slice(0, 8);

function one(ctx: CommandContext): string {
  return ctx.positionals[0] as string;
}

/** The API knows no todo of that id (deleted meanwhile, or never yours): says where to look. */
function noSuchTodo(error: unknown): never {
  if (error instanceof CliError && error.code === 'not_found')
    throw new CliError('not_found', `${error.message}; ${SEE_IDS}`, { cause: error });
  throw error;
}

/**
 * A token refresh that fails while `todo done` or `todo rm` looks up the id or sends its one
 * change: nothing was changed, which the message says, with that running it again is safe.
 */
function changedNothing(error: unknown): never {
  throw nothingChanged(error);
}

/** `todo ls`. */
export const ls: Command = {
  usage: 'todo ls [--done | --open] [--list LIST] [--limit N]',
  summary: 'list your todos',
  options: {
    done: { type: 'boolean' },
    open: { type: 'boolean' },
    limit: { type: 'string' },
    list: { type: 'string' },
  },
  maxPositionals: 0,
  async run(ctx) {
    const { done, open, limit } = ctx.values;
    if (done && open) throw new CliError('usage', '--done and --open exclude each other');
    const max = limit === undefined ? 1000 : Number(limit);
    if (!Number.isInteger(max) || max < 1)
      throw new CliError('usage', '--limit must be a positive integer');
    const list =
      typeof ctx.values.list === 'string'
        ? (await resolveList(ctx, ctx.values.list)).id
        : undefined;
    const todos = await allTodos(
      apiClient(ctx.io, ctx.session()),
      done ? true : open ? false : undefined,
      max,
      list,
    );
    ctx.print(todos, () =>
      todos.length === 0
        ? 'No todos.'
        : table(
            ['ID', 'DONE', 'CREATED', 'TITLE'],
            todos.map((t) => [
              shortId(t.id),
              t.completed ? 'x' : ' ',
              t.createdAt.slice(0, 10),
              cell(t.title),
            ]),
          ),
    );
  },
};

/** `todo add`. */
export const add: Command = {
  usage: 'todo add <title…> [--description TEXT] [--list LIST]',
  summary: 'add a todo',
  options: { description: { type: 'string', short: 'd' }, list: { type: 'string' } },
  minPositionals: 1,
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(ctx) {
    const title = visibleArgument('<title…>', ctx.positionals.join(' '), add.usage);
    const description = ctx.values.description as string | undefined;
    // The list is looked up before the create is sent: a token refresh failing then sent nothing.
    const listId =
      typeof ctx.values.list === 'string'
        ? (
            await resolveList(ctx, ctx.values.list).catch((e: unknown) => {
              throw nothingSent(e);
            })
          ).id
        : undefined;
    // Sent with an Idempotency-Key, and once more after a lost answer (`createTodo`).
    const body = {
      title,
      ...(description === undefined ? {} : { description }),
      ...(listId === undefined ? {} : { listId }),
    };
    const session = ctx.session();
    const api = apiClient(ctx.io, session);
    const todo = await createTodo(api, session, ctx.io, body, ctx.io.createTimeoutMs);
    ctx.print(todo, () => `Added ${shortId(todo.id)}  ${cell(todo.title)}`);
  },
};

/** `todo done`. */
export const done: Command = {
  usage: 'todo done <id> [--undo]',
  summary: 'mark a todo completed (or not, with --undo)',
  options: { undo: { type: 'boolean' } },
  minPositionals: 1,
  maxPositionals: 1,
  async run(ctx) {
    const api = apiClient(ctx.io, ctx.session());
    const id = await resolveId(api, one(ctx)).catch(changedNothing);
    let todo: Todo;
    try {
      todo = unwrap(
        await api.PATCH('/todos/{id}', {
          params: { path: { id } },
          body: { completed: ctx.values.undo !== true },
        }),
      );
    } catch (e) {
      const check = `todo ls shows whether it was; running the command again is safe (it sets the same state).`;
      return noSuchTodo(nothingChanged(changeOutcome(e, check)));
    }
    ctx.print(
      todo,
      () => `${todo.completed ? 'Done' : 'Reopened'}: ${shortId(todo.id)}  ${cell(todo.title)}`,
    );
  },
};

/** `todo rm`. */
export const rm: Command = {
  usage: 'todo rm <id>',
  summary: 'delete a todo',
  minPositionals: 1,
  maxPositionals: 1,
  async run(ctx) {
    const api = apiClient(ctx.io, ctx.session());
    const id = await resolveId(api, one(ctx)).catch(changedNothing);
    try {
      unwrap(await api.DELETE('/todos/{id}', { params: { path: { id } } }));
    } catch (e) {
      const check = `todo ls shows whether ${shortId(id)} is still there; running the command again is safe (a todo already deleted is answered as not found).`;
      return noSuchTodo(nothingChanged(changeOutcome(e, check)));
    }
    ctx.print({ deleted: id }, () => `Deleted ${shortId(id)}`);
  },
};

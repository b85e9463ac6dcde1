import { apiClient, unwrap } from '../api/client.js';
import { createList } from '../api/create-list.js';
import type { paths } from '../api/schema.gen.js';
import type { Command, CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { cell, table } from '../output/table.js';
import { nothingChanged } from '../refresh-failure.js';
import { changeOutcome } from '../write-outcome.js';
import { visibleArgument } from './visible-text.js';

type TodoList = paths['/lists/']['get']['responses'][200]['content']['application/json'][number];

function listsClient(ctx: CommandContext) {
  return apiClient(ctx.io, ctx.session());
}

/** Says plainly that the API has no shared lists, instead of a bare 404. */
function noLists(ctx: CommandContext, e: unknown): never {
  if (e instanceof CliError && e.code === 'route_missing')
    throw new CliError(
      'route_missing',
      `The API at ${ctx.settings().apiUrl} has no shared lists (no /lists/ route); update the API`,
    );
  throw e;
}

async function readLists(ctx: CommandContext): Promise<TodoList[]> {
  try {
    return unwrap(await listsClient(ctx).GET('/lists/'));
  } catch (e) {
    return noLists(ctx, e);
  }
}

/** A list from an id or a unique name; a name several lists have asks for the id. */
export async function resolveList(ctx: CommandContext, typed: string): Promise<TodoList> {
  const lists = await readLists(ctx);
  const named = lists.filter((l) => l.name === typed);
  const found = lists.find((l) => l.id === typed) ?? (named.length === 1 ? named[0] : undefined);
  if (found !== undefined) return found;
  if (named.length > 1)
    throw new CliError(
      'usage',
      `${named.length} lists you can read are called "${typed}"; name one by its id: ${named.map((l) => l.id).join(', ')}`,
    );
  throw new CliError(
    'not_found',
    `No list you can read is called or has the id "${typed}"; todo lists shows the lists you can read`,
  );
}

/** `todo lists`. */
export const lists: Command = {
  usage: 'todo lists [create <name>]',
  summary: 'the lists you can read, with your relation to each; or create one',
  maxPositionals: 2,
  async run(ctx) {
    const [action, name] = ctx.positionals;
    if (action !== undefined) {
      if (action !== 'create' || name === undefined)
        throw new CliError('usage', `usage: ${lists.usage}`);
      visibleArgument('<name>', name, lists.usage);
      let created: TodoList;
      try {
        // Sent with an Idempotency-Key, and once more after a lost answer (`createList`).
        const session = ctx.session();
        const api = apiClient(ctx.io, session);
        created = await createList(api, session, ctx.io, { name }, ctx.io.createTimeoutMs);
      } catch (e) {
        return noLists(ctx, e);
      }
      ctx.print(created, () => `Created list ${created.id}  ${cell(created.name)}`);
      return;
    }
    const all = await readLists(ctx);
    ctx.print(all, () =>
      table(
        ['ID', 'RELATION', 'TODOS', 'NAME'],
        all.map((l) => [
          l.id,
          l.relation,
          String(l.todoCount),
          `${cell(l.name)}${l.isDefault ? ' (default)' : ''}`,
        ]),
      ),
    );
  },
};

/** `todo share`. */
export const share: Command = {
  usage:
    'todo share <list> <username> [--role editor|viewer] | todo share <list> <username> --remove | todo share <list>',
  summary: 'share a list with someone, stop sharing it, or show its members',
  options: { role: { type: 'string' }, remove: { type: 'boolean' } },
  minPositionals: 1,
  maxPositionals: 2,
  async run(ctx) {
    const [listArg, username] = ctx.positionals as [string, string | undefined];
    const role = (ctx.values.role as string | undefined) ?? 'viewer';
    if (role !== 'editor' && role !== 'viewer')
      throw new CliError('usage', '--role must be editor or viewer');
    if (username === undefined && (ctx.values.role !== undefined || ctx.values.remove))
      throw new CliError('usage', `--role and --remove need a username; usage: ${share.usage}`);
    // With a username it changes the list's members: a failed token refresh changed nothing.
    const said = (e: unknown) => (username === undefined ? e : nothingChanged(e));
    const list = await resolveList(ctx, listArg).catch((e: unknown) => {
      throw said(e);
    });
    const client = listsClient(ctx);
    try {
      if (username === undefined) {
        const members = unwrap(
          await client.GET('/lists/{id}/members', { params: { path: { id: list.id } } }),
        );
        ctx.print(members, () =>
          table(
            ['USERNAME', 'RELATION'],
            members.map((m) => [cell(m.username ?? m.sub), m.relation]),
          ),
        );
        return;
      }
      const path = { id: list.id, username };
      if (ctx.values.remove) {
        unwrap(await client.DELETE('/lists/{id}/members/{username}', { params: { path } }));
        ctx.print(
          { list: list.id, username, removed: true },
          () => `${username} no longer shares ${cell(list.name)}`,
        );
        return;
      }
      const member = unwrap(
        await client.PUT('/lists/{id}/members/{username}', {
          params: { path },
          body: { relation: role },
        }),
      );
      ctx.print(member, () => `Shared ${cell(list.name)} with ${username} as ${role}`);
    } catch (e) {
      const check = `todo share ${list.id} shows the members now; running the command again is safe.`;
      return noLists(ctx, said(username === undefined ? e : changeOutcome(e, check)));
    }
  },
};

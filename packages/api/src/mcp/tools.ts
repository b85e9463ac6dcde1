import { type TSchema, Type } from 'typebox';
import { z } from 'zod';
import { List, Member } from '../lists/schemas.js';
import {
  BLANK_MESSAGE,
  IDEMPOTENCY_KEY_CHARS,
  isBlank,
  KEY_MAX_CHARS,
  Uuid,
} from '../schemas/common.js';
import { Todo, TodoPage } from '../todos/schemas.js';
import { type Caller, type McpOperations, ToolRefusal } from './operations.js';

/**
 * A list or todo id: the REST routes' rule (`format: uuid`), a UUID's string form of RFC 9562
 * §4, 8-4-4-4-12 hex digits in either case, whatever its version and variant bits (the service
 * lower-cases it). Zod's `uuid()` also demands version and variant bits: an id of the right
 * form that names nothing would be a 400 here and a 404 on the REST route.
 */
const Id = z.guid();
// The text rules (no control characters) are the todo service's, which answers a tool as it
// answers the REST route; the descriptions tell an agent of them beforehand.
const ONE_LINE = 'one line: no control characters (U+0000–U+001F, U+007F–U+009F)';
const MULTILINE =
  'no control characters (U+0000–U+001F, U+007F–U+009F) but tab, line feed and carriage return';
const Title = z
  .string()
  .min(1)
  .max(200)
  .refine((t) => !isBlank(t), BLANK_MESSAGE)
  .describe(`1–200 characters, ${ONE_LINE}`);
const Description = z.string().max(2000).describe(`Up to 2000 characters, ${MULTILINE}`);

/** A list as `list_lists` answers it: the REST route's, without the actions it decides. */
const ListOfLists = Type.Object({ items: Type.Array(Type.Omit(List, ['actions'])) });

/**
 * One MCP tool: the REST route whose requirement it carries (`METHOD /path` as registered), so
 * an agent is decided exactly as the route would decide the same person, what it does, and the
 * schema of its answer (`output`, an object: MCP 2025-06-18, Server › Tools, "Output Schema"),
 * the REST route's own response schema where there is one.
 */
export interface ToolDefinition<S extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly route: string;
  readonly input: S;
  readonly output: TSchema;
  readonly readOnly: boolean;
  readonly destructive?: boolean;
  run(ops: McpOperations, caller: Caller, args: z.infer<z.ZodObject<S>>): Promise<object>;
}

const tool = <S extends z.ZodRawShape>(definition: ToolDefinition<S>) => definition;

/** The tools of `/mcp`; each declares the same requirement as its REST route. */
export const TOOLS = [
  tool({
    name: 'list_lists',
    title: 'List lists',
    description: 'The lists you can read (your own and those shared with you), with your relation',
    route: 'GET /lists/',
    input: {},
    output: ListOfLists,
    readOnly: true,
    run: async (ops, caller) => ({ items: await ops.listLists(caller) }),
  }),
  tool({
    name: 'list_todos',
    title: 'List todos',
    description: 'Todos in the lists you can read, newest first; filter by list or completion',
    route: 'GET /todos/',
    input: {
      listId: Id.optional().describe('Only this list'),
      completed: z.boolean().optional().describe('Only completed (true) or open (false) todos'),
      limit: z.number().int().min(1).max(100).optional().describe('At most this many (20)'),
      // The REST route's bounds (`PageQuery`): 1–200 characters.
      cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page'),
    },
    output: TodoPage,
    readOnly: true,
    run: (ops, caller, args) => ops.listTodos(caller, args),
  }),
  tool({
    name: 'create_todo',
    title: 'Create a todo',
    description: 'Add a todo to your default list, or to a list you own or edit',
    route: 'POST /todos/',
    input: {
      title: Title,
      description: Description.optional(),
      listId: Id.optional().describe('The list; your default list when absent'),
      idempotencyKey: z
        .string()
        // The header's limit and characters (draft-ietf-httpapi-idempotency-key-header §2.1),
        // each refusal naming what is wrong rather than a bare "Invalid".
        .max(KEY_MAX_CHARS, `is longer than ${KEY_MAX_CHARS} characters, the most this API takes`)
        .regex(new RegExp(IDEMPOTENCY_KEY_CHARS), {
          message: `must be 1 to ${KEY_MAX_CHARS} visible ASCII characters other than " and \\`,
        })
        .optional()
        .describe(
          'A new random key (a UUID) for this todo; when a call gets no answer or an error, call again with the same key and the same arguments: the todo is created once and its first answer returned. Kept 24 hours; the same key with other arguments is refused (idempotency_key_reused)',
        ),
    },
    output: Todo,
    readOnly: false,
    run: (ops, caller, { idempotencyKey, ...input }) =>
      ops.createTodo(caller, input, idempotencyKey),
  }),
  tool({
    name: 'update_todo',
    title: 'Change a todo',
    description: 'Change the title, description or completion of a todo in a list you can write',
    route: 'PATCH /todos/:id',
    input: {
      id: Id,
      title: Title.optional(),
      description: Description.nullable()
        .optional()
        .describe(`Up to 2000 characters, ${MULTILINE}; null clears it`),
      completed: z.boolean().optional(),
    },
    output: Todo,
    readOnly: false,
    run: (ops, caller, { id, ...changes }) => {
      // As `PATCH /todos/{id}` (`minProperties: 1`): a change that names nothing is refused,
      // not written as a new version with its audit record.
      if (Object.values(changes).every((value) => value === undefined))
        throw new ToolRefusal(
          'validation_failed',
          400,
          'Name at least one of title, description, completed',
        );
      return ops.updateTodo(caller, id, changes);
    },
  }),
  tool({
    name: 'complete_todo',
    title: 'Complete a todo',
    description: 'Mark a todo done (or open again with completed: false)',
    route: 'PATCH /todos/:id',
    input: { id: Id, completed: z.boolean().optional().describe('Default true') },
    output: Todo,
    readOnly: false,
    run: (ops, caller, { id, completed }) =>
      ops.updateTodo(caller, id, { completed: completed ?? true }),
  }),
  tool({
    name: 'delete_todo',
    title: 'Delete a todo',
    description: 'Delete a todo in a list you can write',
    route: 'DELETE /todos/:id',
    input: { id: Id },
    output: Type.Object({ deleted: Uuid }),
    readOnly: false,
    destructive: true,
    run: async (ops, caller, { id }) => {
      await ops.deleteTodo(caller, id);
      // The id as stored (lower case), as every other answer names a todo; never as typed.
      return { deleted: id.toLowerCase() };
    },
  }),
  tool({
    name: 'share_list',
    title: 'Share a list',
    description: 'Share a list you own with someone (by username or email) as editor or viewer',
    route: 'PUT /lists/:id/members/:username',
    input: {
      listId: Id,
      // The REST route's bounds (`MemberParams`): an email address may be 320 characters.
      username: z.string().min(1).max(320).describe('A username or an email address'),
      relation: z.enum(['editor', 'viewer']),
    },
    output: Member,
    readOnly: false,
    run: (ops, caller, { listId, username, relation }) =>
      ops.shareList(caller, listId, username, relation),
  }),
] as const;

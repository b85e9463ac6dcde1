import type { Db } from '@todo-sso/api';

/** What the API said a todo is, from its successful responses only. */
export interface ModelTodo {
  readonly owner: string;
  readonly title: string;
  readonly description: string | null;
  readonly completed: boolean;
}

/** A todo as the API returns it. */
export interface ApiTodo {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
}

/**
 * The expected database: every acknowledged create, update and delete applied in order.
 * `violations` collects what contradicts it while requests run (a write to someone else's todo,
 * a read that differs from the last acknowledged write).
 */
export class TodoModel {
  readonly todos = new Map<string, ModelTodo>();
  readonly violations: string[] = [];

  created(owner: string, todo: ApiTodo): void {
    if (this.todos.has(todo.id)) this.violations.push(`create returned an existing id ${todo.id}`);
    this.todos.set(todo.id, pick(owner, todo));
  }

  updated(owner: string, todo: ApiTodo): void {
    const before = this.todos.get(todo.id);
    if (before?.owner !== owner)
      this.violations.push(`update of ${todo.id} by ${owner} acknowledged; owner ${before?.owner}`);
    this.todos.set(todo.id, pick(owner, todo));
  }

  deleted(owner: string, id: string): void {
    const before = this.todos.get(id);
    if (before?.owner !== owner)
      this.violations.push(`delete of ${id} by ${owner} acknowledged; owner ${before?.owner}`);
    this.todos.delete(id);
  }

  read(owner: string, todo: ApiTodo): void {
    const want = this.todos.get(todo.id);
    const got = pick(owner, todo);
    if (JSON.stringify(want) !== JSON.stringify(got))
      this.violations.push(`read ${todo.id}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
  }

  /** Differences between the model and the rows actually stored: empty means consistent. */
  async diff(db: Db): Promise<string[]> {
    const rows = await db.kysely
      .selectFrom('todos')
      .select(['id', 'owner_sub', 'title', 'description', 'completed'])
      .execute();
    const stored = new Map(
      rows.map((r) => [
        r.id,
        {
          owner: r.owner_sub,
          title: r.title,
          description: r.description,
          completed: Boolean(r.completed),
        },
      ]),
    );
    const out: string[] = [];
    for (const [id, want] of this.todos) {
      const got = stored.get(id);
      if (got === undefined) out.push(`lost ${id}`);
      else if (JSON.stringify(got) !== JSON.stringify(want))
        out.push(`${id}: stored ${JSON.stringify(got)} ≠ acknowledged ${JSON.stringify(want)}`);
    }
    for (const id of stored.keys()) if (!this.todos.has(id)) out.push(`unacknowledged row ${id}`);
    return out;
  }
}

function pick(owner: string, t: ApiTodo): ModelTodo {
  return { owner, title: t.title, description: t.description ?? null, completed: t.completed };
}

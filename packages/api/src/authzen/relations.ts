import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { compileOnce } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import type { Owner, Relation } from '../db/schema.js';

/** The caller's relation to each resource found: `[id, relation]` pairs. */
type Pairs = readonly (readonly [string, Relation])[];

type PairsQuery = (values: {
  issuer: string;
  subject: string;
  ids: string;
}) => CompiledQuery<{ found: string | null }>;

const sqliteStatements = new WeakMap<Db, Record<'list' | 'todo', PairsQuery>>();

/**
 * SQLite's statements for {@link relationPairs}, compiled once per database. The ids go in as
 * one JSON array (`json_each`) and the pairs come back as one JSON row (`json_group_array`):
 * the same SQL for any number of ids, and libsql binds one parameter and builds one row object
 * instead of one per id, which cost more than the lookups themselves. `CROSS JOIN` makes SQLite
 * walk the array itself, then per id the todo's primary key and the membership's index, rather
 * than start from every todo of every list the member belongs to; joining the array (rather
 * than `IN (SELECT … json_each)`) spares building a temporary table of the ids first. Each id
 * comes from a set (`prefetchRelations`), so none is joined twice.
 */
export function sqliteRelationStatements(db: Db): Record<'list' | 'todo', PairsQuery> {
  let statements = sqliteStatements.get(db);
  if (statements) return statements;
  // biome-ignore lint/suspicious/noExplicitAny: `json_each` is a table function the schema does not name
  const k = db.kysely as Kysely<any>;
  const ids = (value: unknown) => sql`json_each(${value})`.as('j');
  const pairs = (column: string) =>
    sql<
      string | null
    >`json_group_array(json_array(${sql.ref(column)}, ${sql.ref('m.relation')}))`.as('found');
  statements = {
    list: compileOnce((param) =>
      k
        .selectFrom(ids(param('ids')))
        .crossJoin('list_members as m')
        .select(pairs('m.list_id'))
        .whereRef('m.list_id', '=', 'j.value')
        .where('m.member_issuer', '=', param('issuer'))
        .where('m.member_sub', '=', param('subject')),
    ),
    todo: compileOnce((param) =>
      k
        .selectFrom(ids(param('ids')))
        .crossJoin('todos as t')
        .crossJoin('list_members as m')
        .select(pairs('t.id'))
        .whereRef('t.id', '=', 'j.value')
        .whereRef('m.list_id', '=', 't.list_id')
        .where('m.member_issuer', '=', param('issuer'))
        .where('m.member_sub', '=', param('subject')),
    ),
  };
  sqliteStatements.set(db, statements);
  return statements;
}

/** The caller's relation to each of these lists, or to the lists holding these todos. */
export async function relationPairs(db: Db, owner: Owner, type: 'list' | 'todo', ids: string[]) {
  if (db.dialect === 'sqlite') {
    const query = sqliteRelationStatements(db)[type]({
      issuer: owner.issuer,
      subject: owner.subject,
      ids: JSON.stringify(ids),
    });
    const [row] = (await db.kysely.executeQuery(query)).rows;
    return JSON.parse(row?.found ?? '[]') as Pairs;
  }
  const rows =
    type === 'list'
      ? await db.kysely
          .selectFrom('list_members')
          .select(['list_id as id', 'relation'])
          .where('member_issuer', '=', owner.issuer)
          .where('member_sub', '=', owner.subject)
          .where('list_id', 'in', ids)
          .execute()
      : await db.kysely
          .selectFrom('todos as t')
          .innerJoin('list_members as m', 'm.list_id', 't.list_id')
          .select(['t.id as id', 'm.relation'])
          .where('m.member_issuer', '=', owner.issuer)
          .where('m.member_sub', '=', owner.subject)
          .where('t.id', 'in', ids)
          .execute();
  return rows.map((row): readonly [string, Relation] => [row.id, row.relation]);
}

/**
 * Relations loaded for a batch: per issuer, subject and resource type, the relation to each id
 * (`null` for none). Nested maps rather than a joined key: an issuer named in a request can
 * hold any character, so no separator could keep two subjects apart.
 */
export class KnownRelations {
  private readonly issuers = new Map<
    string,
    Map<string, Map<string, Map<string, Relation | null>>>
  >();

  /** The relations of `owner` to resources of `type`; created empty when `create` is set. */
  scope(owner: Owner, type: string, create: true): Map<string, Relation | null>;
  scope(owner: Owner, type: string, create?: false): Map<string, Relation | null> | undefined;
  scope(owner: Owner, type: string, create = false) {
    let subjects = this.issuers.get(owner.issuer);
    if (!subjects) {
      if (!create) return undefined;
      subjects = new Map();
      this.issuers.set(owner.issuer, subjects);
    }
    let types = subjects.get(owner.subject);
    if (!types) {
      if (!create) return undefined;
      types = new Map();
      subjects.set(owner.subject, types);
    }
    let ids = types.get(type);
    if (!ids && create) {
      ids = new Map();
      types.set(type, ids);
    }
    return ids;
  }
}

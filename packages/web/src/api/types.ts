import type { paths } from './schema.gen.js';

/**
 * Domain types read off the generated OpenAPI types by route, so they follow the API's
 * document without depending on how its schemas happen to be named.
 */
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type Ok<Op> = Op extends { responses: infer R }
  ? R extends { 200: infer Res }
    ? Json<Res>
    : R extends { 201: infer Res }
      ? Json<Res>
      : never
  : never;
type JsonBody<Op> = Op extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type TodoPage = Ok<paths['/todos/']['get']>;
export type Todo = TodoPage['items'][number];
export type NewTodo = JsonBody<paths['/todos/']['post']>;
export type TodoPatch = JsonBody<paths['/todos/{id}']['patch']>;
export type Me = Ok<paths['/me']['get']>;
export type Summary = Ok<paths['/reports/summary']['get']>;
export type AdminUsers = Ok<paths['/admin/users']['get']>;
export type AdminTodoPage = Ok<paths['/admin/todos']['get']>;
export type AuditPage = Ok<paths['/admin/audit']['get']>;
export type AuditEntry = AuditPage['items'][number];
export type TodoList = Ok<paths['/lists/']['get']>[number];
export type ListAction = TodoList['actions'][number];
export type ListMember = Ok<paths['/lists/{id}/members']['get']>[number];
export type ShareRelation = JsonBody<paths['/lists/{id}/members/{username}']['put']>['relation'];
export type AgentList = Ok<paths['/me/agents']['get']>;
export type Agent = AgentList['items'][number];
export type AgentRevoked = Ok<paths['/me/agents/{clientId}']['delete']>;

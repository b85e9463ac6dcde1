/**
 * The shared-list routes (`/lists/…`), typed by hand from the API's route table until its
 * OpenAPI document carries them; then `schema.gen.ts` replaces this file.
 */
type Problem = { 'application/problem+json': { detail?: string; title?: string; code?: string } };
type Relation = 'owner' | 'editor' | 'viewer';

export interface TodoList {
  id: string;
  name: string;
  relation: Relation;
  isDefault: boolean;
  todoCount: number;
}

export interface ListMember {
  sub: string;
  username: string;
  relation: Relation;
}

interface Responses<T> {
  200: { content: { 'application/json': T } };
  default: { content: Problem };
}

export interface listPaths {
  '/lists/': {
    get: { responses: Responses<TodoList[] | { items: TodoList[] }> };
    post: {
      requestBody: { content: { 'application/json': { name: string } } };
      responses: {
        201: { content: { 'application/json': TodoList } };
        default: { content: Problem };
      };
    };
  };
  '/lists/{id}/members': {
    get: { parameters: { path: { id: string } }; responses: Responses<ListMember[]> };
  };
  '/lists/{id}/members/{username}': {
    put: {
      parameters: { path: { id: string; username: string } };
      requestBody: { content: { 'application/json': { relation: 'editor' | 'viewer' } } };
      responses: Responses<ListMember>;
    };
    delete: {
      parameters: { path: { id: string; username: string } };
      responses: { 204: { content?: never }; default: { content: Problem } };
    };
  };
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { isRetriableCreate } from '../api/errors.js';
import {
  createList,
  deleteList,
  getLists,
  getMembers,
  removeMember,
  renameList,
  shareList,
} from '../api/list-endpoints.js';
import type { ShareRelation, TodoList } from '../api/types.js';
import { refetchAfterWrite } from '../sync/refetch-after-write.js';

/**
 * TanStack Query hooks for lists and their members. Each list arrives with the actions the
 * caller may take on it (`actions`), decided by the API's authorization core in one batch for
 * the whole response: the screen asks nothing per list or per todo.
 */
export const listKeys = {
  all: ['lists'] as const,
  members: (id: string) => ['lists', id, 'members'] as const,
};

/** Every list the caller can read: their default list first, then theirs, then shared ones. */
export function useLists() {
  const api = useApi();
  return useQuery({
    queryKey: listKeys.all,
    queryFn: ({ signal }) => getLists(api, signal),
    refetchOnWindowFocus: 'always',
  });
}

export function useMembers(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: listKeys.members(id),
    queryFn: ({ signal }) => getMembers(api, id, signal),
  });
}

/**
 * Lists and members changed: what this tab shows of them is stale (todos too, on delete). Read
 * anew even while a first read is on its way (the members of a dialog just opened): it may
 * have been made before the change (`refetchAfterWrite`).
 */
function useInvalidate() {
  const client = useQueryClient();
  return () => refetchAfterWrite(client, listKeys.all);
}

/** A new list's name and the idempotency key it is created under. */
export interface NewList {
  name: string;
  key: string;
}

/**
 * Creates a list. A try that gets no answer the API stands by is sent again with the same name
 * and key after 1 s, then 2 s: the API answers a repeat with the list it made for the key, so a
 * lost answer never leaves two lists.
 */
export function useCreateList() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ name, key }: NewList) => createList(api, name, key),
    retry: (failures, error) => failures < 2 && isRetriableCreate(error),
    retryDelay: (failures) => 1000 * 2 ** failures,
    onSettled: invalidate,
  });
}

/** Renames with `If-Match` on the version this tab last saw: 412 if someone renamed it meanwhile. */
export function useRenameList() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ list, name }: { list: TodoList; name: string }) =>
      renameList(api, list.id, name, list.version),
    onSettled: invalidate,
  });
}

/** Deletes with `If-Match`: a list renamed meanwhile is not deleted unseen. */
export function useDeleteList() {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (list: TodoList) => deleteList(api, list.id, list.version),
    onSettled: async () => {
      await refetchAfterWrite(client, listKeys.all);
      await refetchAfterWrite(client, ['todos']);
    },
  });
}

export function useShare(id: string) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ username, relation }: { username: string; relation: ShareRelation }) =>
      shareList(api, id, username, relation),
    onSettled: invalidate,
  });
}

export function useRemoveMember(id: string) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (username: string) => removeMember(api, id, username),
    onSettled: invalidate,
  });
}

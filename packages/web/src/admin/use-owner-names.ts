import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { getAdminUsers } from '../api/endpoints.js';

/** `sub` → username from the users list, so tables show people rather than opaque ids. */
export function useOwnerNames(): (sub: string | null | undefined) => string | undefined {
  const api = useApi();
  const users = useQuery({
    queryKey: ['admin', 'users'],
    queryFn: ({ signal }) => getAdminUsers(api, signal),
  });
  const names = new Map(
    (users.data?.items ?? []).map((user) => [user.sub, user.username ?? user.email ?? undefined]),
  );
  return (sub) => (sub ? names.get(sub) : undefined);
}

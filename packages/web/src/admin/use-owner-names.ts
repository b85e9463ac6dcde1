import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { getAdminUsers } from '../api/endpoints.js';

/**
 * (issuer, `sub`) → username from the users list, so tables show people rather than opaque ids.
 * Keyed by both: with several trusted issuers, one `sub` may name two different people.
 */
export function useOwnerNames(): (
  issuer: string | null | undefined,
  sub: string | null | undefined,
) => string | undefined {
  const api = useApi();
  const users = useQuery({
    queryKey: ['admin', 'users'],
    queryFn: ({ signal }) => getAdminUsers(api, signal),
  });
  const names = new Map(
    (users.data?.items ?? []).map((user) => [
      ownerKey(user.issuer, user.sub),
      user.username ?? user.email ?? undefined,
    ]),
  );
  return (issuer, sub) => (issuer && sub ? names.get(ownerKey(issuer, sub)) : undefined);
}

function ownerKey(issuer: string, sub: string): string {
  return JSON.stringify([issuer, sub]);
}

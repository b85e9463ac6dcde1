import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { getMe } from '../api/endpoints.js';

/** Who the API says the caller is: roles, permissions and department from `GET /me`. */
export function useMe() {
  const api = useApi();
  return useQuery({
    queryKey: ['me'],
    queryFn: ({ signal }) => getMe(api, signal),
    staleTime: 60_000,
  });
}

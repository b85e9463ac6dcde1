import type { ReactNode } from 'react';
import { ErrorState, Forbidden, Loading } from '../ui/states.js';
import { can, type Permission } from './permissions.js';
import { useMe } from './use-me.js';

/** Renders `children` only for callers holding `permission`; explains the refusal otherwise. */
export function RequirePermission({
  permission,
  what,
  children,
}: {
  permission: Permission;
  what: string;
  children: ReactNode;
}) {
  const me = useMe();
  if (me.isPending) return <Loading label="Checking your access…" />;
  if (me.isError)
    return <ErrorState error={me.error} what="your access" onRetry={() => me.refetch()} />;
  if (!can(me.data, permission)) return <Forbidden permission={permission} what={what} level={1} />;
  return <>{children}</>;
}

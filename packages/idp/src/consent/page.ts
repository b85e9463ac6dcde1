import { escapeHtml } from '../pages/html.js';
import { page } from '../pages/templates.js';
import type { Realm, RealmUser } from '../realm/types.js';

/** The OpenID Connect scopes, in the words of the person asked (Keycloak's consent texts). */
const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: 'Know who you are (your user id in this realm)',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Keep access while you are away (offline access)',
};

/** Roles every user holds by default; they say nothing about what a client may do. */
const BUILTIN_ROLE = /^(default-roles-.*|offline_access|uma_authorization)$/;

/**
 * What the client's tokens would let it do: the person's roles and permissions (the tokens
 * carry them all, as Keycloak's `roles` scope does), each with the realm's description.
 */
export function permissionLines(realm: Realm, user: RealmUser): string[] {
  const describe = (client: string | undefined, name: string) =>
    realm.model.roles.find((r) => r.client === client && r.name === name)?.description;
  const realmRoles = user.realmRoles
    .filter((r) => !BUILTIN_ROLE.test(r))
    .map((r) => `${r}: ${describe(undefined, r) ?? 'a role of this realm'}`);
  const clientRoles = Object.entries(user.clientRoles).flatMap(([client, roles]) =>
    roles.map((r) => `${r} (${client}): ${describe(client, r) ?? 'a permission'}`),
  );
  return [...realmRoles, ...clientRoles.sort()];
}

/** The scope lines of a request; unknown scopes are named as they are. */
export function scopeLines(scopes: readonly string[]): string[] {
  return scopes.map((s) => SCOPE_TEXT[s] ?? `The "${s}" scope`);
}

const list = (id: string, lines: readonly string[]) =>
  `<ul id="${id}">${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`;

/**
 * The consent page (Keycloak's "Grant access to …" screen): which client asks, what it asks
 * for in people's words, and Allow / Deny. The buttons keep Keycloak's names (`accept`,
 * `cancel`) and ids (`kc-login`, `kc-cancel`).
 */
export function consentPage(opts: {
  action: string;
  clientId: string;
  clientName: string | undefined;
  username: string;
  scopes: readonly string[];
  permissions: readonly string[];
  resources: readonly string[];
}): string {
  const name = opts.clientName ?? opts.clientId;
  const named =
    opts.clientName && opts.clientName !== opts.clientId
      ? `<strong>${escapeHtml(opts.clientName)}</strong> (client <code>${escapeHtml(opts.clientId)}</code>)`
      : `The client <strong>${escapeHtml(opts.clientId)}</strong>`;
  const resources = opts.resources.length
    ? `<p>Its tokens are for ${opts.resources.map((r) => `<code>${escapeHtml(r)}</code>`).join(', ')} only.</p>`
    : '';
  return page(
    `Grant access to ${name}`,
    `<h1>Grant access to ${escapeHtml(name)}?</h1>
<p>${named} registered itself with this identity provider: it is not one of the realm's own
applications. Signed in as <strong>${escapeHtml(opts.username)}</strong>.</p>
<p>If you allow it, it can:</p>${list('consent-scopes', scopeLines(opts.scopes))}
<p>and act for you with everything your account may do:</p>${list('consent-permissions', opts.permissions)}
${resources}<p>You can end its access at any time from your account screen.</p>
<form id="kc-consent-form" method="post" action="${escapeHtml(opts.action)}">
<button id="kc-login" name="accept" value="yes" type="submit">Allow</button>
<button id="kc-cancel" name="cancel" value="no" type="submit" class="secondary">Deny</button>
</form>`,
  );
}

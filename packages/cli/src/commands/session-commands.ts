import { apiClient, unwrap } from '../api/client.js';
import type { Command, CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { deviceLogin } from '../oidc/device-flow.js';
import type { ProviderMetadata } from '../oidc/discovery.js';
import { endSession, type LogoutOutcome } from '../oidc/logout.js';
import { loopbackLogin } from '../oidc/loopback-flow.js';
import { signInKey } from '../oidc/sign-in-key.js';
import { cell, table } from '../output/table.js';
import type { Session } from '../session.js';
import { PROFILE_FILE } from '../settings.js';
import { UnreadableSessionsFile } from '../store/file-store.js';
import { writePrivateFile } from '../store/private-file.js';
import type { StoredSession } from '../store/types.js';

/**
 * `todo login`: the device authorization grant (or, with `--browser`, the authorization code
 * grant through a loopback redirect, RFC 8252), then the tokens into the store.
 */
export const login: Command = {
  usage: 'todo login [--browser] [--issuer URL] [--api URL] [--client-id ID]',
  summary: 'sign in with the device authorization grant (RFC 8628), or --browser on this machine',
  details:
    '--browser: sign in in a browser on this machine, which comes back to todo on 127.0.0.1 (authorization code with PKCE, RFC 8252), instead of entering a code.',
  options: { browser: { type: 'boolean' } },
  async run(ctx) {
    const settings = ctx.settings();
    const session = ctx.session();
    session.check();
    const metadata = await session.metadata();
    // RFC 9449 §5: a key of its own for this sign-in, kept with its tokens.
    const dpop = await signInKey(ctx.io.fetch, settings, metadata);
    const tokens = ctx.values.browser
      ? await loopbackLogin(ctx.io, metadata, settings.clientId, settings.scope, dpop)
      : await deviceLogin(ctx.io, metadata, settings.clientId, settings.scope, dpop);
    const store = await session.exclusive(async () => session.save(tokens));
    // Remember where we signed in (no secrets), so later commands need no flags.
    writePrivateFile(
      settings.configDir,
      PROFILE_FILE,
      `${JSON.stringify({ issuer: settings.issuer, apiUrl: settings.apiUrl, clientId: settings.clientId }, null, 2)}\n`,
    );
    const fallback = session.keyringUnavailable;
    if (fallback !== undefined && store.kind === 'file')
      ctx.io.err(`No usable keyring (${fallback}); tokens are kept in a ${store.description}.`);
    // The API's view of the new session; a refusal does not undo the sign-in, it is explained.
    let me: string | null | undefined;
    try {
      me = unwrap(await apiClient(ctx.io, session).GET('/me')).username;
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      // An API that does not answer has not refused anything: the sign-in stands, unchecked.
      if (e.code === 'api_unreachable')
        ctx.io.err(`The new token could not be checked with the API: ${e.message}`);
      else
        ctx.io.err(
          `The API at ${settings.apiUrl} does not accept the new token: ${e.message}\n${
            dpop === undefined && /\btoken_binding_mismatch\)/.test(e.message)
              ? // RFC 9449 §7.1: bearer tokens where the API requires DPoP-bound ones. `auto` binds
                // only when the API's metadata (RFC 9728 §2) says so, which it may not serve (an API
                // behind a proxy without API_PUBLIC_URL answers 503 there).
                `The API requires DPoP-bound tokens${settings.dpop === 'auto' ? ' but its protected resource metadata did not say so (behind a proxy the API serves it only with API_PUBLIC_URL set)' : ''}: sign in again with TODO_DPOP=on.`
              : 'Run todo doctor --login to find out why.'
          }`,
        );
    }
    ctx.print(
      {
        signedIn: true,
        issuer: settings.issuer,
        username: me ?? null,
        store: store.kind,
        where: store.description,
      },
      () =>
        `Signed in${me ? ` as ${cell(me, 200)}` : ''} at ${settings.issuer}; tokens are in ${store.description}.`,
    );
  },
};

/**
 * Ends the session at the provider and revokes the refresh token; an unreachable provider
 * (discovery included) is an outcome, not an error, so the caller still forgets the tokens.
 */
async function signOutAtProvider(
  ctx: CommandContext,
  session: Session,
  stored: StoredSession,
): Promise<LogoutOutcome> {
  if (stored.refreshToken === undefined)
    return { sessionEnded: false, revoked: false, reachable: true };
  let metadata: ProviderMetadata;
  try {
    metadata = await session.metadata();
  } catch (e) {
    if (e instanceof CliError && e.code === 'idp_unreachable')
      return { sessionEnded: false, revoked: false, reachable: false };
    // Metadata that cannot be used (another issuer, an HTML page, plain-http endpoints): the
    // tokens are forgotten all the same; say why the provider was not asked.
    if (e instanceof CliError && e.code === 'idp_error') {
      ctx.io.err(`todo logout: ${e.message}`);
      return { sessionEnded: false, revoked: false, reachable: true };
    }
    throw e;
  }
  return endSession(
    ctx.io,
    metadata,
    stored.clientId,
    stored.refreshToken,
    session.dpopKeyForSignOut(stored),
  );
}

/** `todo logout`: ends the provider session, revokes the refresh token, forgets the tokens. */
export const logout: Command = {
  usage: 'todo logout',
  summary: 'end the session at the identity provider and forget the tokens',
  async run(ctx) {
    const session = ctx.session();
    // Forgotten first, whatever the provider then says or fails to say: a sign-out never leaves
    // usable tokens behind (an error from the provider is still reported). Under the lock, so a
    // refresh under way finishes first and its new refresh token is the one revoked, and none
    // starts from the old tokens afterwards.
    let aside: { from: string; to: string } | undefined;
    const stored = await session.exclusive(async () => {
      // Beside the keyring, an unreadable token file does not stop the sign-out of the keyring's
      // session; it is set aside all the same, as it would be for a token-file user.
      aside = session.setAsideUnreadableFileBesideKeyring(ctx.io.now());
      let current: StoredSession | undefined;
      try {
        current = session.load();
      } catch (e) {
        if (!(e instanceof UnreadableSessionsFile)) throw e;
        // Nothing in it can be read, so nothing can be ended at the provider; it is set aside,
        // not removed (it may hold other sessions), and todo no longer uses it.
        aside = { from: e.store.path, to: e.store.setAside(ctx.io.now()) };
        return undefined;
      }
      if (current !== undefined) session.remove();
      return current;
    });
    if (aside !== undefined) {
      ctx.io.err(
        `todo logout: ${aside.from} could not be read, so no session in it was ended at the identity provider; it was kept as ${aside.to} (mode 0600). Remove that file once nothing in it is needed.`,
      );
      if (stored === undefined) {
        ctx.print(
          { signedOut: true, wasSignedIn: false, setAside: aside.to },
          () => 'Not signed in.',
        );
        return 1;
      }
    }
    if (stored === undefined) {
      ctx.print({ signedOut: true, wasSignedIn: false }, () => 'Not signed in.');
      return;
    }
    const outcome: LogoutOutcome = await signOutAtProvider(ctx, session, stored);
    ctx.print({ signedOut: true, ...outcome }, () =>
      outcome.sessionEnded
        ? 'Signed out: the session at the identity provider has ended.'
        : outcome.revoked
          ? 'Signed out: the refresh token was revoked.'
          : !outcome.reachable
            ? 'Signed out locally: the identity provider could not be reached, so its session may still be open.'
            : 'Signed out locally; the identity provider did not confirm the end of the session.',
    );
  },
};

/** `todo whoami`: the API's view of the caller (`GET /me`). */
export const whoami: Command = {
  usage: 'todo whoami',
  summary: 'who the API thinks you are: subject, roles, permissions',
  async run(ctx) {
    const me = unwrap(await apiClient(ctx.io, ctx.session()).GET('/me'));
    ctx.print(me, () =>
      table(
        ['FIELD', 'VALUE'],
        [
          // Claims from the identity provider, some of them the person's own words.
          ['username', cell(me.username ?? '', 200)],
          ['email', cell(me.email ?? '', 200)],
          ['subject', cell(me.sub, 200)],
          ['issuer', cell(me.issuer, 200)],
          ['roles', cell(me.roles.join(', '), 1000)],
          ['permissions', cell(me.permissions.join(', '), 1000)],
          ['department', cell(me.department ?? '', 200)],
        ],
      ),
    );
  },
};

/** `todo token`: the only command that prints a token, for `curl -H "Authorization: Bearer …"`. */
export const token: Command = {
  usage: 'todo token',
  summary: 'print a valid access token (refreshed when needed) for scripts',
  async run(ctx) {
    const session = ctx.session();
    const { accessToken: access, dpop } = await session.credentials();
    const stored = session.load();
    // A DPoP-bound token is refused as a bearer token (RFC 9449 §7.2): say so, on stderr.
    if (dpop !== undefined && !ctx.json)
      ctx.io.err(
        'This token is DPoP-bound (RFC 9449): send it as "Authorization: DPoP <token>" with a proof by the key kept with it, not as a bearer token. For a bearer token, sign in with TODO_DPOP=off.',
      );
    ctx.print(
      {
        access_token: access,
        token_type: dpop === undefined ? 'Bearer' : 'DPoP',
        expires_at: new Date(stored?.expiresAt ?? 0).toISOString(),
      },
      () => access,
    );
  },
};

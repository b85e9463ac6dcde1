import { escapeHtml } from './html.js';

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}
main{max-width:360px;margin:48px auto;background:#fff;padding:24px 32px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.2)}
.dev{background:#fff3cd;color:#664d03;border:1px solid #ffe69c;padding:8px;border-radius:4px;font-size:.9em}
.error{background:#f8d7da;color:#842029;padding:8px;border-radius:4px}
label{display:block;margin-top:12px}input{width:100%;padding:8px;box-sizing:border-box}
button{margin-top:16px;width:100%;padding:10px;background:#0d6efd;color:#fff;border:0;border-radius:4px;cursor:pointer}
button.secondary{margin-top:8px;background:none;color:#555;text-decoration:underline}
.code{text-align:center;font-size:1.8em;letter-spacing:.1em}
:root{color-scheme:light dark}
@media (prefers-color-scheme:dark){body{background:#0f1115;color:#e7e9ee}
main{background:#171a21;box-shadow:0 1px 3px rgba(0,0,0,.6)}
input{background:#1e222b;color:#e7e9ee;border:1px solid #2a2f3a}
.dev{background:#3a2f0b;color:#ffe69c;border-color:#664d03}
.error{background:#3a1217;color:#f1aeb5}button.secondary{color:#aab}}`;

/** The banner every page of the dev IdP carries. */
export const DEV_ONLY =
  'Development only: this is the todo-sso development identity provider. Never use it in production.';

/** A dev IdP page: shared look, the development-only banner, `title` escaped, `body` as given. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><main><p class="dev" role="note">${escapeHtml(DEV_ONLY)}</p>${body}</main></body></html>`;
}

/** The login form; `error` is shown above it after a failed attempt. */
export function loginPage(opts: {
  realm: string;
  action: string;
  clientId: string;
  username?: string;
  error?: string;
  /** Users whose realm-file password is their username (the demo users), shown in the banner. */
  demoUsers?: readonly string[];
}): string {
  const demo = opts.demoUsers?.length
    ? `<p class="dev" id="demo-users">Demo users (password = username): ${opts.demoUsers
        .map((name) => `<code>${escapeHtml(name)}</code>`)
        .join(', ')}.</p>`
    : '';
  const error = opts.error
    ? `<p class="error" id="input-error" role="alert">${escapeHtml(opts.error)}</p>`
    : '';
  return page(
    `Sign in to ${opts.realm}`,
    `<h1>Sign in to ${escapeHtml(opts.realm)}</h1>
<p>Signing in to <strong>${escapeHtml(opts.clientId)}</strong>.</p>${demo}${error}
<form id="kc-form-login" method="post" action="${escapeHtml(opts.action)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus required value="${escapeHtml(opts.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="kc-login" type="submit">Sign In</button>
</form>`,
  );
}

/**
 * RP-initiated logout confirmation. When the `id_token_hint` names this very session (see
 * logout-hint.ts) the RP has proven it, so, as Keycloak does, the page submits itself; otherwise
 * the user confirms.
 */
export function logoutPage(form: string, auto: boolean): string {
  const withLogout = form.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"></form>',
  );
  const script = auto ? '<script>document.getElementById("op.logoutForm").submit()</script>' : '';
  return page(
    'Sign out',
    `<h1>Do you want to sign out?</h1>${withLogout}
<button id="kc-logout" type="submit" form="op.logoutForm">Sign out</button>${script}`,
  );
}

export function loggedOutPage(): string {
  return page('Signed out', '<h1>You are signed out.</h1>');
}

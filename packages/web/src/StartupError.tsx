/**
 * What the page shows when the app cannot start because its configuration cannot be loaded:
 * the reason and a reload, never a sign-in against guessed settings.
 */
export function StartupError({ message }: { message: string }) {
  return (
    <main id="main" className="welcome">
      <div className="state state--error" role="alert">
        <h1 className="state__title">todo-sso cannot start</h1>
        <p className="state__hint">
          Its configuration could not be loaded ({message}). Try again in a moment; if this
          persists, the site's operator needs to check /config.json.
        </p>
        <button type="button" className="button" onClick={() => window.location.reload()}>
          Try again
        </button>
      </div>
    </main>
  );
}

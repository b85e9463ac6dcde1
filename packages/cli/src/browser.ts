import { spawn } from 'node:child_process';

/**
 * Whether a browser can be opened here: never in CI, and on Linux and the BSDs only with a
 * graphical session (DISPLAY or WAYLAND_DISPLAY).
 */
export function hasBrowser(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.CI || env.TODO_NO_BROWSER) return false;
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Opens `url` with the platform's opener; resolves false when that fails. */
export function openBrowser(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  if (!hasBrowser(env) || !/^https?:\/\//.test(url)) return Promise.resolve(false);
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

import { ENV_NAMES } from './env-schema.js';

/**
 * Variables other parts of the product read (`npm start`, the development identity provider,
 * the web app's server and image, the `todo` command, the tests): set beside the API's, they are
 * not misspellings of its names.
 */
const OTHER_PARTS: ReadonlySet<string> = new Set([
  'API_PORT',
  'API_URL',
  'IDP_PORT',
  'IDP_PROFILE',
  'IDP_PUBLIC_URL',
  'REALM_FILE',
  'TEST_DATABASE_URL',
  'TODO_API_URL',
  'TODO_CLIENT_ID',
  'TODO_ISSUER',
  'TODO_SCOPE',
  'WEB_CONNECT_ORIGINS',
  'WEB_HOST',
  'WEB_PORT',
  'WEB_PUBLIC_URL',
]);

/** A name's words without plural or past endings, in order: TRUSTED_PROXIES → TRUST PROXY. */
function stems(name: string): string {
  return name
    .split('_')
    .filter((word) => word !== '')
    .map((word) => {
      if (word.length > 4 && word.endsWith('IES')) return `${word.slice(0, -3)}Y`;
      if (word.length > 4 && word.endsWith('ED')) return word.slice(0, -2);
      if (word.length > 3 && word.endsWith('S') && !word.endsWith('SS')) return word.slice(0, -1);
      return word;
    })
    .sort()
    .join(' ');
}

/** Levenshtein distance, stopping early once it exceeds `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    if (Math.min(...current) > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/** The API's variable an unknown name was probably meant to be, if one is close enough. */
function meant(name: string): string | undefined {
  const stem = stems(name);
  const limit = name.length >= 12 ? 2 : name.length >= 8 ? 1 : 0;
  return ENV_NAMES.find(
    (known) => stems(known) === stem || (limit > 0 && distance(name, known, limit) <= limit),
  );
}

/**
 * Variables set in the environment that the API does not read but that look like one it does,
 * misspelt (`TRUSTED_PROXIES` for `TRUST_PROXY`, `OIDC_AUDIANCE`): the API would start as if the
 * setting were absent, with its default, and nothing would say why. Named only when the variable
 * it resembles is unset, so a stray leftover beside the right name stays quiet.
 *
 * @returns one warning sentence per such variable.
 */
export function misspeltVariables(env: Readonly<Record<string, string | undefined>>): string[] {
  const known: ReadonlySet<string> = new Set(ENV_NAMES);
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || known.has(name) || OTHER_PARTS.has(name)) continue;
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    const target = meant(name);
    if (target === undefined || env[target] !== undefined) continue;
    warnings.push(
      `${name} is set, but the API reads no variable of that name, and ${target} is not set: if ${target} is meant, rename ${name} to ${target} (until then the API runs with ${target}'s default)`,
    );
  }
  return warnings;
}

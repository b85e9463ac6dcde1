/**
 * Two lines oidc-provider prints that say nothing to someone running the development identity
 * provider; this module, imported before oidc-provider, drops each of them once and nothing else.
 *
 * - "Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.", printed when it is
 *   loaded on Node 20. The IdP is tested on Node 20 (the whole suite runs on it), so there the
 *   line is noise; on any other runtime it stays. On Node 22 and 24 (LTS lines oidc-provider
 *   supports, where the suite runs too) oidc-provider does not print it, so nothing is dropped.
 * - "already parsed request body detected, having upstream middleware parser is not
 *   recommended…", printed at the first request whose body was read before oidc-provider saw
 *   it. The IdP reads every form body first on purpose (`http/io.ts`: the 64 KiB limit, forms
 *   rewritten before oidc-provider parses them), and oidc-provider then uses those bytes as
 *   they are, so the first sign-in of every `npm start` printed a warning about nothing.
 */
const UNSUPPORTED_RUNTIME = 'oidc-provider WARNING: Unsupported runtime.';
const PRE_READ_BODY = 'oidc-provider WARNING: already parsed request body detected';

/** The one major where the line is dropped; on any other runtime oidc-provider's warning stays. */
const TESTED_MAJOR = '20';

const silenced = [
  PRE_READ_BODY,
  ...(process.versions.node.split('.')[0] === TESTED_MAJOR ? [UNSUPPORTED_RUNTIME] : []),
];
const dropped = new Set<string>();
const warn = console.warn;
console.warn = silenceOnce;

function silenceOnce(...args: unknown[]): void {
  const [first] = args;
  const known =
    typeof first === 'string'
      ? silenced.find((line) => first.includes(line) && !dropped.has(line))
      : undefined;
  if (known === undefined) {
    warn(...args);
    return;
  }
  // oidc-provider prints each of them once: when both are gone, warnings go straight through.
  dropped.add(known);
  if (dropped.size === silenced.length) console.warn = warn;
}

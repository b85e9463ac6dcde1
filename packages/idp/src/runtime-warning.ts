/**
 * oidc-provider prints "Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release." when
 * it is loaded on Node 20. The development identity provider is tested on Node 20 (the whole
 * suite runs on it), so on every start that line is noise: this module, imported before
 * oidc-provider, drops that one line and nothing else.
 */
const UNSUPPORTED_RUNTIME = 'oidc-provider WARNING: Unsupported runtime.';

/** Node 20 is where the suite runs; on any other runtime oidc-provider's warning stays. */
const TESTED_MAJOR = '20';

const warn = console.warn;
if (process.versions.node.split('.')[0] === TESTED_MAJOR) console.warn = silenceOnce;

function silenceOnce(...args: unknown[]): void {
  const [first] = args;
  if (typeof first === 'string' && first.includes(UNSUPPORTED_RUNTIME)) {
    console.warn = warn; // it is printed once, at load: later warnings go straight through
    return;
  }
  warn(...args);
}

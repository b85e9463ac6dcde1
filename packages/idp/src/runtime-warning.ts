/**
 * oidc-provider prints "Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release." when
 * it is loaded on Node 20. The development identity provider is tested on Node 20 (the whole
 * suite runs on it), so on every start that line is noise: this module, imported before
 * oidc-provider, drops that one line and nothing else.
 */
const UNSUPPORTED_RUNTIME = 'oidc-provider WARNING: Unsupported runtime.';

const warn = console.warn;
console.warn = (...args: unknown[]) => {
  const [first] = args;
  if (typeof first === 'string' && first.includes(UNSUPPORTED_RUNTIME)) {
    console.warn = warn; // it is printed once, at load: later warnings go straight through
    return;
  }
  warn(...args);
};

// Reads a V8 .cpuprofile (node --cpu-prof) and sums its samples: self time per frame and per
// package, optionally only the samples taken inside a time window (the measured load, not the
// start-up). A profile is { nodes: [{ id, callFrame: { functionName, url, lineNumber },
// children }], startTime, samples: [node id…], timeDeltas: [µs…] }: sample k was taken
// timeDeltas[0..k] µs after startTime, on the stack ending at node samples[k].
import { readFileSync } from 'node:fs';

/** V8's pseudo-frames: not code of any package. */
const PSEUDO = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/**
 * The package a script URL belongs to: `node internals` for `node:` modules, the npm package
 * (scoped names kept whole) for anything under node_modules, `@todo-sso/<name>` for the
 * workspace packages, `bench` for the benchmark's own code.
 */
export function packageOf(url) {
  if (url.startsWith('node:') || url.startsWith('internal/')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? '?');
  }
  const ws = /\/packages\/([^/]+)\//.exec(path);
  if (ws) return `@todo-sso/${ws[1]}`;
  if (path.includes('/bench/')) return 'bench';
  return path === '' ? 'native' : 'other';
}

/**
 * The suspects of a slow request path, each recognised by the scripts of its frames. A sample
 * counts for the innermost frame of its stack that belongs to one (so the socket write under
 * the logger is logging, and the SQLite step under the query builder is the driver); a sample
 * with none on its stack counts for its own frame's package.
 */
const SUSPECTS = [
  [
    'logging',
    /\/node_modules\/(pino|@pinojs\/[^/]+|sonic-boom|pino-std-serializers|quick-format-unescaped)\/|\/http\/(request-log|logger)\.js$/,
  ],
  [
    'rate limit',
    /\/node_modules\/@fastify\/rate-limit\/|\/http\/rate-limit\.js$|\/plugins\/rate-limits\.js$/,
  ],
  ['metrics', /\/node_modules\/prom-client\/|\/packages\/api\/dist\/metrics\.js$/],
  ['security headers, CORS', /\/node_modules\/@fastify\/cors\/|\/http\/security-headers\.js$/],
  ['response serialisation', /\/node_modules\/fast-json-stringify\//],
  [
    'request validation',
    /\/node_modules\/(typebox|@sinclair\/typebox|ajv)\/|\/http\/(validation|validator|json-body)\.js$/,
  ],
  ['database driver', /\/node_modules\/(libsql|pg|pg-pool|pg-protocol|pg-types)\//],
  ['SQL builder', /\/node_modules\/kysely\/|\/db\/compiled\.js$/],
  ['token check', /\/node_modules\/jose\/|\/packages\/auth\/dist\//],
];

/** `name file:line`, with paths shortened to the package. */
function frameLabel(callFrame) {
  const url = callFrame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/');
  const name = callFrame.functionName || '(anonymous)';
  return url ? `${name} ${url}:${callFrame.lineNumber + 1}` : name;
}

/**
 * Self time per frame and per package of one profile, in µs. A native function (no script URL,
 * e.g. a libsql statement step or a `node:crypto` binding) is charged to the package of the
 * nearest caller that has one, so that "libsql" includes the SQLite engine it calls and "node
 * internals" the C++ behind its bindings. `window` ({ from, to } in the profile's clock, µs)
 * keeps only the samples taken inside it.
 */
export function summarise(file, { window } = {}) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const pkgOfNode = new Map();
  const pkgOf = (id) => {
    if (pkgOfNode.has(id)) return pkgOfNode.get(id);
    const { callFrame } = byId.get(id);
    let pkg;
    if (PSEUDO.has(callFrame.functionName)) pkg = callFrame.functionName;
    else if (callFrame.url) pkg = packageOf(callFrame.url);
    else {
      const up = parent.get(id);
      pkg =
        up === undefined || PSEUDO.has(byId.get(up).callFrame.functionName) ? 'native' : pkgOf(up);
    }
    pkgOfNode.set(id, pkg);
    return pkg;
  };
  const suspectOfNode = new Map();
  const suspectOf = (id) => {
    if (suspectOfNode.has(id)) return suspectOfNode.get(id);
    const { url } = byId.get(id).callFrame;
    const own = url ? SUSPECTS.find(([, re]) => re.test(url))?.[0] : undefined;
    const up = parent.get(id);
    const found = own ?? (up === undefined ? undefined : suspectOf(up));
    suspectOfNode.set(id, found);
    return found;
  };
  const selfByNode = new Map();
  let at = prof.startTime;
  let sampled = 0;
  for (let k = 0; k < prof.samples.length; k++) {
    const dt = prof.timeDeltas[k] ?? 0;
    at += dt;
    if (window && (at < window.from || at > window.to)) continue;
    sampled += dt;
    selfByNode.set(prof.samples[k], (selfByNode.get(prof.samples[k]) ?? 0) + dt);
  }
  const frames = new Map();
  const packages = new Map();
  const suspects = new Map();
  for (const [id, us] of selfByNode) {
    const pkg0 = pkgOf(id);
    if (pkg0 !== '(idle)') {
      const suspect = suspectOf(id) ?? `other: ${pkg0}`;
      suspects.set(suspect, (suspects.get(suspect) ?? 0) + us);
    }
    const node = byId.get(id);
    const label = frameLabel(node.callFrame);
    const pkg = pkgOf(id);
    const f = frames.get(label) ?? { label, pkg, us: 0 };
    f.us += us;
    frames.set(label, f);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const idle = packages.get('(idle)') ?? 0;
  return {
    sampledUs: sampled,
    busyUs: sampled - idle,
    frames: [...frames.values()].filter((f) => f.pkg !== '(idle)').sort((a, b) => b.us - a.us),
    packages: [...packages]
      .filter(([p]) => p !== '(idle)')
      .map(([pkg, us]) => ({ pkg, us }))
      .sort((a, b) => b.us - a.us),
    suspects: [...suspects].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us),
    startTime: prof.startTime,
    endTime: prof.endTime,
  };
}

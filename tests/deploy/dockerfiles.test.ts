/**
 * The Dockerfiles and the root `.dockerignore`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploy, root } from './support.js';

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

/** Splits a Dockerfile into stages of logical lines (continuations joined, comments dropped). */
function stages(path: string): Stage[] {
  const logical = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of logical) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1] ?? '', lines: [], ...(from[2] && { name: from[2] }) });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** Repository paths a Dockerfile copies from the build context. */
function contextSources(all: Stage[]): string[] {
  return all.flatMap((s) =>
    s.lines
      .filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))
      .flatMap((l) => {
        const parts = l.split(/\s+/).filter((p) => !p.startsWith('--'));
        return parts.slice(1, -1);
      }),
  );
}

describe('Dockerfiles', () => {
  const api = stages(join(deploy, 'docker/api.Dockerfile'));
  const web = stages(join(deploy, 'docker/web.Dockerfile'));
  const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('the web image has no built-in issuer, client or API: a container started without them stops', () => {
    // web-config.sh refuses a missing OIDC_ISSUER, OIDC_CLIENT_ID or API_URL (deploy/README.md:
    // "A missing value … stops the container"); a default in the image would never be missing,
    // and a production container started without its configuration would send people to sign
    // in at localhost instead of stopping.
    const final = web.at(-1) as Stage;
    const set = final.lines
      .filter((l) => /^ENV\s/i.test(l))
      .flatMap((l) => [...l.matchAll(/([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1]));
    for (const name of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'API_URL'])
      expect(set, name).not.toContain(name);
  });

  it.each([
    ['api', api],
    ['web', web],
  ])('the %s image is multi-stage and runs as a non-root user', (_name, all) => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const final = all.at(-1) as Stage;
    const users = final.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBe(1);
    expect(['root', '0', '0:0']).not.toContain(users[0]);
    expect(final.lines.some((l) => /^HEALTHCHECK\s.*\/healthz/.test(l))).toBe(true);
  });

  it('builds the API with npm ci, tsc -b and production-only dependencies', () => {
    const all = api.flatMap((s) => s.lines);
    expect(all.some((l) => /npm ci .*--workspace @todo-sso\/api/.test(l))).toBe(true);
    expect(all).toContain('RUN npx tsc -b packages/api');
    expect(all.some((l) => /npm ci .*--omit=dev/.test(l))).toBe(true);
    const final = api.at(-1) as Stage;
    expect(final.lines).toContain('USER node');
    const cmd = final.lines.find((l) => l.startsWith('CMD '));
    expect(cmd).toMatch(/^CMD \["node", (?:"--[^"]+", )*"packages\/api\/dist\/server\.js"\]$/);
    // The final image takes compiled output and dependencies only, never sources.
    const copies = final.lines.filter((l) => l.startsWith('COPY'));
    expect(copies.every((l) => l.includes('--from='))).toBe(true);
    expect(copies.some((l) => l.includes('src'))).toBe(false);
  });

  it('starts the API with the node flags of its own npm start, as `npm start` of the stack does', () => {
    const final = api.at(-1) as Stage;
    const cmd = final.lines.find((l) => l.startsWith('CMD ')) as string;
    const imageFlags = (JSON.parse(cmd.slice(4)) as string[]).filter((w) => w.startsWith('--'));
    const flagsOf = (file: string) => {
      const { scripts } = JSON.parse(readFileSync(join(root, file), 'utf8')) as {
        scripts: Record<string, string>;
      };
      return (scripts.start ?? '').split(/\s+/).filter((w) => w.startsWith('--'));
    };
    // The young generation's size (docs/architecture.md, "Memory and the collector").
    expect(imageFlags).toContain('--max-semi-space-size=64');
    expect(flagsOf('packages/api/package.json')).toEqual(imageFlags);
    expect(flagsOf('package.json')).toEqual(imageFlags);
  });

  it('serves the web build from nginx-unprivileged with the run-time config script', () => {
    const final = web.at(-1) as Stage;
    expect(final.from).toBe(`\${NGINX_IMAGE}`);
    const arg = readFileSync(join(deploy, 'docker/web.Dockerfile'), 'utf8').match(
      /ARG NGINX_IMAGE=(\S+)/,
    );
    expect(arg?.[1]).toMatch(/^nginxinc\/nginx-unprivileged:/);
    expect(final.lines).toContain('COPY --from=build /app/packages/web/dist /usr/share/nginx/html');
    expect(final.lines).toContain(
      'COPY --chmod=0755 deploy/docker/web-config.sh /docker-entrypoint.d/40-todo-sso-config.sh',
    );
    expect(final.lines).toContain('EXPOSE 8080');
  });

  it.each([
    ['api', api],
    ['web', web],
  ])('the %s image copies only files that exist and that .dockerignore lets through', (_n, all) => {
    const sources = contextSources(all);
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      for (const pattern of dockerignore.filter((p) => !p.startsWith('!'))) {
        const bare = pattern.replace(/^\*\*\//, '');
        expect(source === bare || source.startsWith(`${bare}/`), `${source} vs ${pattern}`).toBe(
          false,
        );
      }
    }
  });

  it('keeps dependencies, build output, local data and git out of the build context', () => {
    for (const p of ['.git', '**/node_modules', '**/dist', '.data', '**/.env']) {
      expect(dockerignore).toContain(p);
    }
  });
});

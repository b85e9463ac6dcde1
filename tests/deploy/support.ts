/**
 * Shared parsers and fixtures of the deployment-artefact tests (`tests/deploy/*.test.ts`): Compose
 * interpolation, the dev realm, and the environment variables the API documents.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { readmeConfigNames } from '../docs/readme-tables.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const deploy = join(root, 'deploy');
export const composeDir = join(deploy, 'compose');

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML/JSON is untyped; assertions check shapes.
export type Any = any;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

export function readYaml(path: string): Any {
  return parse(readFileSync(path, 'utf8'), { merge: true });
}

/** Compose-style interpolation (`${X}`, `${X:-d}`, `${X-d}`, `${X:?msg}`) against `env`. */
export function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const set = env[name];
      if (op === ':-') return set ? set : (arg ?? '');
      if (op === '-') return set !== undefined ? set : (arg ?? '');
      if (op === ':?' || op === '?') {
        if (!set) throw new Error(`required variable ${name}: ${arg}`);
        return set;
      }
      return set ?? '';
    },
  );
}

export function service(file: Any, name: string): Any {
  const svc = file.services?.[name];
  expect(svc, `service ${name}`).toBeDefined();
  return svc;
}

/** A service's environment as a map of interpolated strings. */
export function environment(svc: Any, env: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment ?? {})) out[k] = interpolate(String(v), env);
  return out;
}

/** Finds the first available Compose CLI: Debian's docker-compose v1, then the v2 plugin. */
export function composeCli(): string[] | null {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const probe = spawnSync(bin, [...args, 'version'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return cmd;
  }
  return null;
}

/** The environment without any variable the Compose files interpolate. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(KEYCLOAK|AUTHENTIK|API|WEB|TODO|POSTGRES|KC)_/.test(key)) delete env[key];
  }
  return env;
}

export const realm: Any = JSON.parse(
  readFileSync(join(deploy, 'keycloak/realm-todo-app.json'), 'utf8'),
);

/** Roles and permissions of a realm user, composites expanded (the Authentik profile). */
export function expandedRoles(user: Any): string[] {
  const roles = new Set<string>();
  const realmRoles: Any[] = realm.roles?.realm ?? [];
  const visit = (name: string) => {
    if (roles.has(name)) return;
    roles.add(name);
    const role = realmRoles.find((r) => r.name === name);
    for (const sub of role?.composites?.realm ?? []) visit(sub);
    for (const perm of role?.composites?.client?.['todo-api'] ?? []) roles.add(perm);
  };
  for (const r of user.realmRoles ?? []) visit(r);
  for (const p of user.clientRoles?.['todo-api'] ?? []) roles.add(p);
  return [...roles].sort();
}

export const DEMO_USERS = ['alice', 'bob', 'carol', 'admin', 'testuser'];
/** The API variables the README's configuration reference documents: the only ones a manifest may set. */
export const DOCUMENTED_ENV = readmeConfigNames();

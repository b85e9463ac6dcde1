import { IdpError } from '../errors.js';

/** Throws `ERR_REALM_INVALID` naming the field at `path`. */
export function invalid(path: string, message: string): never {
  throw new IdpError('ERR_REALM_INVALID', `realm field "${path}" ${message}`);
}

/** Rejects any key of `value` outside `allowed`, naming the first unsupported field. */
export function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const field = path ? `${path}.${key}` : key;
      throw new IdpError(
        'ERR_REALM_UNSUPPORTED',
        `realm field "${field}" is not supported by the development identity provider`,
      );
    }
  }
}

export function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(path, 'must be an object');
  }
  return value as Record<string, unknown>;
}

export function array(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid(path, 'must be an array');
  return value;
}

export function strings(value: unknown, path: string): string[] {
  return array(value, path).map((item, i) => string(item, `${path}[${i}]`));
}

export function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') invalid(path, 'must be a non-empty string');
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(path, 'must be a string');
  return value;
}

export function bool(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(path, 'must be true or false');
  return value;
}

/** Keycloak stores switches in `attributes`/`config` as the strings "true" / "false". */
export function boolString(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true' || value === true) return true;
  if (value === 'false' || value === false) return false;
  invalid(path, 'must be "true" or "false"');
}

export function positiveInt(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    invalid(path, 'must be a positive integer (seconds)');
  }
  return value;
}

/** `{ key: string[] }`, the shape of Keycloak's user and group attributes and role maps. */
export function stringListMap(value: unknown, path: string): Record<string, string[]> {
  if (value === undefined) return {};
  const map = object(value, path);
  return Object.fromEntries(
    Object.entries(map).map(([key, list]) => [key, strings(list, `${path}.${key}`)]),
  );
}

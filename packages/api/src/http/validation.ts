import type { FastifySchemaValidationError } from 'fastify';
import { TEXT_PATTERN_MESSAGES } from '../schemas/common.js';
import type { FieldError } from './problem.js';

/**
 * Names each offending field of a failed schema check (`body.title`, `querystring.limit`), so a
 * 400 says which input to fix. Missing and unknown properties are named too.
 */
export function fieldErrors(
  context: string,
  errors: readonly FastifySchemaValidationError[],
): FieldError[] {
  const out = new Map<string, string>();
  for (const error of errors) {
    const base = error.instancePath.slice(1).replaceAll('/', '.');
    const params = error.params as Record<string, unknown>;
    const join = (name: string) => [context, base, name].filter(Boolean).join('.');
    if (error.keyword === 'required' && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties) out.set(join(String(name)), 'is required');
    } else if (
      error.keyword === 'additionalProperties' &&
      Array.isArray(params.additionalProperties)
    ) {
      for (const name of params.additionalProperties) out.set(join(String(name)), 'is not allowed');
    } else if (error.keyword === 'boolean' && error.message === 'schema is false') {
      if (!out.has(join(''))) out.set([context, base].filter(Boolean).join('.'), 'is not allowed');
    } else if (error.keyword === 'pattern' && TEXT_PATTERN_MESSAGES.has(String(params.pattern))) {
      out.set(
        [context, base].filter(Boolean).join('.'),
        TEXT_PATTERN_MESSAGES.get(String(params.pattern)) as string,
      );
    } else {
      const field = [context, base].filter(Boolean).join('.');
      if (!out.has(field)) out.set(field, error.message ?? 'is invalid');
    }
  }
  return [...out].map(([field, message]) => ({ field, message }));
}

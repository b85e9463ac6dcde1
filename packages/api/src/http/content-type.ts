/**
 * The content type Fastify gives a body it serialised from an object: a route that sends JSON
 * text it already holds sets it itself, or Fastify would send the text as `text/plain`.
 */
export const JSON_UTF8 = 'application/json; charset=utf-8';

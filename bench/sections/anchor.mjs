// The Node anchor: the same warm and cold authenticated GET /me on todo-sso and on Express
// with Auth0's express-oauth2-jwt-bearer, both pinned to the server core, interleaved round by
// round in one run. Warm: one token again and again (todo-sso answers it from its verified-
// token cache; the anchor has none and verifies it every time, as it would in production).
// Cold: a different token on every request.
import { measure } from '../lib/load.mjs';
import { startAnchorProcess } from '../lib/servers.mjs';
import { fmt } from '../lib/table.mjs';
import { cycle, throughput } from './auth.mjs';

const bearer = (token) => ({ authorization: `Bearer ${token}` });

export async function anchor(ctx, table, api) {
  const express = await startAnchorProcess({ issuer: ctx.issuer.issuer.issuer });
  try {
    const [apiWarm, exWarm, apiCold, exCold] = await measure(
      [
        {
          name: 'todo-sso warm',
          pid: api.pid,
          url: `${api.url}/me`,
          headers: bearer(ctx.warmToken),
        },
        {
          name: 'express warm',
          pid: express.pid,
          url: `${express.url}/me`,
          headers: bearer(ctx.warmToken),
        },
        { name: 'todo-sso cold', pid: api.pid, url: `${api.url}/me`, requests: cycle(ctx.pool) },
        {
          name: 'express cold',
          pid: express.pid,
          url: `${express.url}/me`,
          requests: cycle(ctx.pool),
        },
      ],
      ctx.cfg,
    );
    const lat = (r) => `p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms`;
    for (const [label, ours, theirs] of [
      ['warm (one token)', apiWarm, exWarm],
      ['cold (a new token each request)', apiCold, exCold],
    ]) {
      table.add('A', `Express + express-oauth2-jwt-bearer GET /me, ${label}`, throughput(theirs), {
        valid: theirs.valid,
        note: `${lat(theirs)} ${theirs.note}`,
      });
      const ratio = ours.capacity / theirs.capacity;
      table.add(
        'A',
        `todo-sso ÷ Node anchor, GET /me ${label}, per core`,
        `${fmt(ratio, 2)}× (${fmt(ours.capacity)}/s vs ${fmt(theirs.capacity)}/s per core)`,
        {
          target: '≥ 2×',
          met: ratio >= 2,
          valid: ours.valid && theirs.valid,
          note: `todo-sso ${throughput(ours)}, ${lat(ours)}; wall-clock ${fmt(ours.rps / theirs.rps, 2)}× ${ours.note}`,
        },
      );
    }
  } finally {
    await express.stop();
  }
}

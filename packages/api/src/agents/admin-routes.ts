import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { idpError } from '../admin-idp/errors.js';
import { oneLine } from '../admin-idp/provider-text.js';
import { writeAndAudit } from '../audit/write-and-audit.js';
import { adminWork } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../http/problem.js';
import { principalOf, profileOf } from '../routes/principal.js';
import { problems } from '../schemas/common.js';
import { adminWorkText, SECURED } from '../schemas/security.js';
import { report } from './grant-end-backoff.js';
import {
  deleteGrantEnd,
  findGrantEnd,
  GRANT_END_REASON_MAX,
  type GrantEndKey,
  listGrantEnds,
  notPending,
  pendingSince,
  recordGrantEndFailure,
} from './grant-end-rows.js';
import {
  GRANT_END_SETTLE_TEXT,
  GrantEndPage,
  GrantEndQuery,
  GrantEndReleaseBody,
  GrantEndRetryBody,
  GrantEndSettled,
  RELEASE_CONFIRMATION,
} from './schemas.js';

const TAGS = ['admin'];

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/**
 * `/admin/agents/grant-ends`: the agents whose grant the identity provider has not ended yet
 * (docs/mcp.md, "A hold that does not clear"), one more attempt now, and the release of a hold
 * whose grant an operator ended at the provider by hand. Every action is in the audit log with
 * its row change, in one transaction.
 */
export function agentGrantEndRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    listRoute(app, context);
    settleRoute(app, context, 'retry');
    settleRoute(app, context, 'release');
  };
}

/** `GET /admin/agents/grant-ends`: the pending ends, oldest first, a page at a time. */
function listRoute(app: App, context: AppContext): void {
  app.get(
    '/admin/agents/grant-ends',
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: 'listAgentGrantEnds',
        description: `The AI assistants whose grant the identity provider has not ended yet, after their person ended their access (their tokens stay refused meanwhile), oldest first, a page at a time, with each one's last failed attempt. ${adminWorkText()}`,
        summary: 'The agents whose grant at the identity provider is still to end, oldest first',
        security: SECURED,
        querystring: GrantEndQuery,
        response: { 200: GrantEndPage, ...problems(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const { limit = 20, cursor } = request.query;
      return listGrantEnds(context.db, { limit, ...(cursor !== undefined && { cursor }) });
    },
  );
}

/** What one attempt at the provider gave: ended (`held`: there was a grant), or why not. */
type Attempt =
  | { readonly ended: true; readonly held: boolean }
  | { readonly ended: false; readonly error: ApiError };

/** One attempt to end the agent's consent and grant at the provider, now. */
async function attemptEnd(context: AppContext, key: GrantEndKey): Promise<Attempt> {
  const { service, unsupported } = context.idpAdmin;
  if (service === undefined)
    return {
      ended: false,
      error: new ApiError(
        'not_implemented',
        `The API cannot ask the identity provider to end the grant: ${unsupported ?? 'it has no admin API configured'}`,
      ),
    };
  if (service.target.issuer !== key.issuer)
    return {
      ended: false,
      error: new ApiError(
        'not_implemented',
        `The grant is at ${key.issuer}, whose admin API the API does not reach (IDP_ADMIN_URL is ${service.target.issuer}'s)`,
      ),
    };
  try {
    return { ended: true, held: await service.revokeConsent(key.sub, key.clientId) };
  } catch (error) {
    const failed = idpError(error, "Ending the agent's grant", true, true);
    // The operator's body was checked before the provider was asked: a 400 from the provider is
    // its refusal of our call (502), never the operator's invalid request.
    if (failed.code !== 'invalid_request') return { ended: false, error: failed };
    return {
      ended: false,
      error: new ApiError('idp_refused', failed.message, { cause: error }),
    };
  }
}

/**
 * `POST /admin/agents/grant-ends/retry` and `.../release`. Both ask the provider once, now.
 * Ended there (or no grant left), the hold is settled ({@link settleHold}). Otherwise a retry
 * answers the provider's reason (502 refused, 503 unreachable, 501 no admin API for the issuer)
 * and a release refuses with 409 (503 when the provider is unreachable), both keeping the row
 * with the attempt recorded ({@link keepHold}), unless the release carries
 * `"confirm": "ended-at-provider"`: the operator's word that the grant is gone at the provider,
 * which settles the hold anyway.
 */
function settleRoute(app: App, context: AppContext, action: Action): void {
  const release = action === 'release';
  app.post(
    `/admin/agents/grant-ends/${action}`,
    {
      config: adminWork(context.config.stepUp, { admin: true }),
      schema: {
        tags: TAGS,
        operationId: release ? 'releaseAgentGrantEnd' : 'retryAgentGrantEnd',
        ...GRANT_END_SETTLE_TEXT[action],
        security: SECURED,
        body: release ? GrantEndReleaseBody : GrantEndRetryBody,
        response: release
          ? { 200: GrantEndSettled, ...problems(400, 401, 403, 404, 409, 413, 415, 503) }
          : { 200: GrantEndSettled, ...problems(400, 401, 403, 404, 409, 413, 415, 501, 502, 503) },
      },
    },
    async (request) => {
      const body = request.body as GrantEndKey & { confirm?: string };
      const key = { issuer: body.issuer, sub: body.sub, clientId: body.clientId };
      if ((await findGrantEnd(context.db.kysely, key)) === undefined) throw notPending(key);
      const attempt = await attemptEnd(context, key);
      const step = { context, request, action, key };
      if (attempt.ended) return settleHold(step, attempt.held ? 'ended' : 'no_grant');
      if (release && body.confirm === RELEASE_CONFIRMATION)
        return settleHold(step, 'released', attempt.error.message);
      return keepHold(step, attempt.error);
    },
  );
}

type Action = 'retry' | 'release';

/** One operator's request about one pending grant end. */
interface Step {
  readonly context: AppContext;
  readonly request: FastifyRequest;
  readonly action: Action;
  readonly key: GrantEndKey;
}

/** The audit record of the operator's action: who, which agent of whom, what came of it. */
function audited({ context, request, action, key }: Step, outcome: string, reason?: string) {
  return {
    actor: profileOf(principalOf(request)),
    action: `agent.grant_end.${action}`,
    resource: `client:${key.clientId}`,
    detail: JSON.stringify({
      issuer: key.issuer,
      sub: key.sub,
      outcome,
      reason: reason === undefined ? undefined : oneLine(reason, GRANT_END_REASON_MAX),
    }),
    requestId: request.id,
    at: context.clock.now(),
  };
}

/**
 * The provider did not end the grant: the attempt counts like a background one (the row tells
 * what the provider said), recorded with its audit record, and the hold stays. A retry answers
 * the provider's own reason; a release without confirmation 409 (503 when unreachable).
 */
async function keepHold(step: Step, error: ApiError): Promise<never> {
  const { context, action, key } = step;
  const outcome = error.status === 503 ? 'provider_unavailable' : 'provider_refused';
  const kept = await writeAndAudit(context.db, audited(step, outcome, error.message), (tx, now) =>
    recordGrantEndFailure(tx, key, error.message, now),
  );
  // Settled meanwhile (another operator, another instance): nothing recorded, nothing held.
  if (!kept) throw notPending(key);
  context.logger.warn(
    { issuer: key.issuer, clientId: key.clientId, action, reason: error.message },
    "an operator's attempt to end an agent's grant failed; its tokens stay refused",
  );
  if (action === 'retry') throw error;
  const confirm = `"confirm": "${RELEASE_CONFIRMATION}"`;
  if (error.status === 503)
    throw new ApiError(
      'idp_unavailable',
      `${error.message}. Nothing was released: try again, or end the grant at the provider by hand and release with ${confirm}`,
    );
  throw new ApiError(
    'conflict',
    `The identity provider did not end the agent's grant (${error.message}), so the hold stays: end the grant at the provider by hand, then release with ${confirm}`,
  );
}

/**
 * The hold ends: the agent's refusal moved forward one last time (`holdUntil`, 5 minutes from
 * now), its row deleted and the audit record written in one transaction, so that all are
 * stored or none. No instance moves the refusal forward after that (the row is gone): it runs
 * out then, plus the clock tolerance, on every instance (the revocation reaches them as every
 * revocation does). The gauges are set again at once rather than at the next round.
 */
async function settleHold(step: Step, outcome: 'ended' | 'no_grant' | 'released', reason?: string) {
  const { context, key } = step;
  const { db, revocations, agentGrantEnds: grantEnds } = context;
  const record = audited(step, outcome, reason);
  const until = grantEnds.holdUntil();
  const hold = await revocations.holdClient(key.issuer, key.sub, key.clientId, until, (save) =>
    writeAndAudit(db, record, async (tx) => {
      const saved = await save(tx);
      // Another operator (or instance) settled it while the provider was asked: that one's
      // hold and record stand; this one writes nothing, moves no refusal, and says so.
      if (!(await deleteGrantEnd(tx, key))) throw notPending(key);
      return saved;
    }),
  );
  await reportPending(context).catch((error: unknown) => {
    context.logger.warn({ err: error }, 'the pending agent grant ends could not be counted');
  });
  const refused = `the agent's tokens issued until ${hold.notBefore} (plus the clock tolerance) stay refused; after that, a sign-in the person allows again is accepted`;
  const detail = {
    ended: `The identity provider ended the agent's consent and grant: ${refused}.`,
    no_grant: `The identity provider held no consent or grant for the agent any more: ${refused}.`,
    released: `Released on your confirmation that the grant was ended at the provider, which did not end it now (${reason}): ${refused}.`,
  }[outcome];
  return { ...key, outcome, refusedUntil: hold.notBefore, detail };
}

/** `agent_grant_ends_pending` and `agent_grant_end_oldest_seconds` from what is stored now. */
async function reportPending(context: AppContext): Promise<void> {
  const { metrics, clock, db } = context;
  const gauges = { pending: metrics.grantEndsPending, oldest: metrics.grantEndOldest };
  report(gauges, await pendingSince(db.kysely), clock.now());
}

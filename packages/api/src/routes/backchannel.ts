import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuthError } from '@todo-sso/auth';
import type { FastifyError, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { oneLine } from '../admin-idp/provider-text.js';
import { writeAndAudit } from '../audit/write-and-audit.js';
import type { AppContext } from '../context.js';
import { isWriteOutcomeUnknown } from '../db/write-outcome.js';
import { createErrorHandler } from '../http/error-handler.js';
import { codedBody, isCoded } from '../http/json-body.js';
import { ApiError, PROBLEM_JSON } from '../http/problem.js';
import type { Revocation } from '../repositories/revocations.js';
import { problemResponse } from '../schemas/common.js';
import { LogoutForm } from '../schemas/misc.js';
import { PUBLIC } from '../schemas/security.js';

const FORM = 'application/x-www-form-urlencoded';

/** The receiver's contract in the OpenAPI document. */
const LOGOUT_SCHEMA = {
  tags: ['auth'],
  operationId: 'receiveBackchannelLogout',
  summary: 'OpenID Connect Back-Channel Logout 1.0 receiver',
  description:
    'Called by the identity provider when a session ends: revokes that session’s ' +
    '(or subject’s) access tokens on every API instance within a second.',
  security: PUBLIC,
  consumes: [FORM],
  body: LogoutForm,
  response: {
    200: Type.String({ maxLength: 0, description: 'Logged out (empty body)' }),
    // §2.8: every failed logout request is 400, with an OAuth 2.0 error (RFC 6749 §5.2).
    400: {
      ...problemResponse,
      description:
        'RFC 9457 problem details with an OAuth 2.0 error (`error`, `error_description`; RFC 6749 §5.2): ' +
        'the logout token is missing, invalid, already used or names no session or subject, a ' +
        'parameter is sent twice, or the body is not an application/x-www-form-urlencoded form, is ' +
        'larger than BODY_LIMIT_BYTES or is sent with a content coding (answered with ' +
        '`Accept-Encoding: identity`). Back-Channel Logout 1.0 §2.8 makes every failed logout ' +
        'request 400, where other routes answer 413 or 415.',
    },
    503: {
      ...problemResponse,
      description:
        'RFC 9457 problem details: `unavailable`, the logout could not be recorded and nothing was kept; `write_outcome_unknown`, the connection to the database was lost while it was being recorded, and it may have been kept (a retry of a kept logout is refused as already used). Send it again after `Retry-After` seconds',
    },
  },
};

/**
 * The longest `sid`, `sub` or `jti` stored as sent, in UTF-8 bytes: PostgreSQL refuses an index
 * entry over about 2.7 kB (the revocation's key is issuer, kind and value), whatever SQLite
 * takes. OpenID Connect sets no length on `sid` (Front-Channel Logout 1.0 §3) nor `jti`.
 */
const STORABLE_BYTES = 1024;
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what PostgreSQL cannot store.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/**
 * True when both engines store `value` exactly as sent: no U+0000 (PostgreSQL's `text` cannot
 * hold it), no unpaired surrogate (no UTF-8 form: stored as U+FFFD, it would no longer match),
 * and short enough for an index entry.
 */
function storable(value: string): boolean {
  return !UNSTORABLE.test(value) && Buffer.byteLength(value) <= STORABLE_BYTES;
}

/**
 * What a verified logout token ends, in values both engines store as sent, so that the answer
 * is the same on both and never a 503 that every retry (§2.8) would get again. Fail closed: a
 * session id that cannot be stored ends every token of the subject (§2.4's logout by `sub`); a
 * `jti` that cannot be stored is remembered by its SHA-256 digest, which is as unique. Undefined
 * when neither `sid` nor `sub` can be stored.
 */
function storableTarget(claims: { jti: string; sessionId?: string; subject?: string }) {
  const subject =
    claims.subject !== undefined && storable(claims.subject) ? claims.subject : undefined;
  const sessionId =
    claims.sessionId !== undefined && storable(claims.sessionId) ? claims.sessionId : undefined;
  const jti = storable(claims.jti)
    ? claims.jti
    : `sha256:${createHash('sha256').update(claims.jti).digest('base64url')}`;
  if (sessionId !== undefined) return { jti, sessionId, subject };
  return subject === undefined ? undefined : { jti, sessionId: undefined, subject };
}

/**
 * §2.8: the RP answers a logout request that is invalid or fails with 400 Bad Request (a MUST),
 * so what HTTP answers 413 or 415 elsewhere (a body over BODY_LIMIT_BYTES, one
 * with a content coding, a body that is not a form) is 400 here, with the same sentence and
 * headers (`Accept-Encoding: identity` still tells a coded body's sender what to send). An
 * outage stays 503 with `Retry-After`: the token was not refused, and the provider may retry it.
 */
function asLogoutRefusal(error: FastifyError): FastifyError {
  const status = error instanceof ApiError ? error.status : error.statusCode;
  if (status !== 413 && status !== 415) return error;
  return new ApiError('invalid_request', error.message, {
    cause: error,
    ...(error instanceof ApiError && error.headers !== undefined && { headers: error.headers }),
  }) as unknown as FastifyError;
}

/**
 * `text` in the characters RFC 6749 §5.2 allows in `error_description` (printable ASCII
 * without `"` and `\`): section signs spelled out, quotes made plain, anything else `?`.
 */
function oauthText(text: string): string {
  return text
    .replaceAll('§', 'section ')
    .replace(/["\u2018\u2019\u201C\u201D]/gu, "'")
    .replaceAll('\\', '/')
    .replace(/[^\x20-\x7E]/gu, '?');
}

/**
 * The form's `logout_token` (§2.5), every parameter sent once (RFC 6749 §3.1); others are
 * ignored, and not copied. The receiver is unauthenticated and outside the rate limits, so a
 * post must cost about what reading it does: each name is looked up once, in a set (comparing
 * every name with every other took seconds of the event loop for a body of BODY_LIMIT_BYTES =
 * 1 MiB, and an object of all of them most of another second).
 */
function parseForm(body: string): { logout_token?: string } {
  const params = new URLSearchParams(body);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    // Which copy of a repeated parameter counts would be a guess, and a proxy in front may have
    // checked the other one.
    if (seen.has(name))
      throw new AuthError(
        'logout_token_invalid',
        `The form sends ${oneLine(name, 64)} more than once`,
      );
    seen.add(name);
  }
  const token = params.get('logout_token');
  return token === null ? {} : { logout_token: token };
}

/**
 * §2.8: every refusal is a 400 with an OAuth 2.0 error (RFC 6749 §5.2): `error`, and an
 * `error_description` within its character set.
 */
function withOAuthError(reply: FastifyReply, payload: unknown): unknown {
  const type = String(reply.getHeader('content-type') ?? '');
  if (reply.statusCode !== 400 || !type.startsWith(PROBLEM_JSON)) return payload;
  if (typeof payload !== 'string') return payload;
  const body = JSON.parse(payload) as Record<string, unknown>;
  const description = body.error_description ?? body.detail ?? body.title;
  body.error ??= 'invalid_request';
  body.error_description = oauthText(String(description));
  return JSON.stringify(body);
}

/**
 * `POST /auth/backchannel-logout`: the OpenID Connect Back-Channel Logout 1.0 receiver. The
 * auth package validates the logout token (§2.6 steps 1–7, 9–10); the replay check on `jti`
 * (step 8) is done here, against the database, so it holds across every API instance. The
 * session (`sid`) or, without one, the subject (`sub`) is then revoked everywhere.
 */
export function backchannelRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { authenticator, revocations, config, metrics, clock } = context;
  const handleError = createErrorHandler(context);
  return async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) =>
      handleError(asLogoutRefusal(error), request, reply),
    );
    // §2.5: the logout token arrives as a form post; only this route accepts forms.
    app.addContentTypeParser(FORM, { parseAs: 'string' }, (request, body, done) => {
      // A coded form is not read as if it were plain (`codedBody`): 400 here (§2.8).
      if (isCoded(request.headers['content-encoding'])) return done(codedBody());
      try {
        done(null, parseForm(body as string));
      } catch (error) {
        done(error as Error);
      }
    });
    app.addHook('onSend', async (_request, reply, payload) => withOAuthError(reply, payload));

    app.post('/auth/backchannel-logout', { schema: LOGOUT_SCHEMA }, async (request, reply) => {
      if (!request.headers['content-type']?.toLowerCase().startsWith(FORM)) {
        // §2.5 posts a form; anything else is a failed logout request, 400 (§2.8).
        throw new ApiError('invalid_request', `Send the logout token as ${FORM} (§2.5)`);
      }
      const claims = await authenticator.verifyLogoutToken(
        request.body.logout_token,
        config.logoutAudiences,
      );
      if (!claims.jti) {
        throw new AuthError('logout_token_invalid', 'The logout token has no jti (§2.4)');
      }
      const target = storableTarget({ ...claims, jti: claims.jti });
      if (target === undefined) {
        throw new AuthError('logout_token_invalid', 'The logout token has no sid or sub to record');
      }
      // §2.6 step 8: a jti seen before is a replay; the primary key decides atomically. The
      // claim, the revocation rows and the audit entry commit together: a failure between
      // them must not burn the jti, or the IdP's retry would be refused and the session
      // would never end (fail closed means: retryable).
      const record = {
        actor: target.subject ? { issuer: claims.issuer, subject: target.subject } : undefined,
        action: 'session.logout',
        resource: (r: Revocation) => `${r.kind}:${r.value}`,
        requestId: request.id,
        at: clock.now(),
      };
      let revocation: Awaited<ReturnType<typeof revocations.logout>>;
      try {
        revocation = await revocations.logout(
          {
            issuer: claims.issuer,
            jti: target.jti,
            acceptedUntil: claims.acceptedUntil,
            sessionId: target.sessionId,
            ...(target.subject !== undefined && { subject: target.subject }),
          },
          (save) => writeAndAudit(context.db, record, save),
        );
      } catch (cause) {
        request.log.error({ err: cause }, 'could not record a back-channel logout');
        reply.header('retry-after', '5');
        throw notRecorded(cause);
      }
      if (revocation === undefined) {
        throw new AuthError('logout_token_invalid', 'The logout token was already used');
      }
      metrics.revocations.inc({ kind: revocation.kind, source: 'backchannel' });
      // §2.8: the response must not be cached.
      return reply.code(200).header('cache-control', 'no-store').send('');
    });
  };
}

/** A logout not recorded (503): nothing kept, or maybe kept when its `COMMIT` got no answer. */
function notRecorded(cause: unknown): ApiError {
  const unknown = isWriteOutcomeUnknown(cause);
  return new ApiError(
    unknown ? 'write_outcome_unknown' : 'unavailable',
    unknown
      ? 'The connection to the database was lost while the logout was being recorded: it may or may not have been kept; retry it (if it was kept, the retry is refused as already used, and the session has ended)'
      : 'The logout could not be recorded; nothing was kept, retry it',
    { cause },
  );
}

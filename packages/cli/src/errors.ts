/** Stable codes of {@link CliError}; the process exit code follows from them. */
export type CliErrorCode =
  | 'usage'
  | 'not_signed_in'
  | 'session_ended'
  | 'idp_error'
  | 'idp_unreachable'
  | 'api_error'
  | 'api_unreachable'
  | 'route_missing'
  | 'not_found'
  | 'login_failed';

/**
 * The one error family of the CLI. `message` is printed as is (it never contains a token);
 * usage errors exit 2, everything else 1.
 */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: 1 | 2;
  /** The HTTP status of the API's answer, when the error is one (`unwrap`). */
  readonly status: number | undefined;
  /** The `code` of the API's RFC 9457 problem, when the error is one (`unwrap`). */
  readonly problem: string | undefined;

  constructor(
    code: CliErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; problem?: string },
  ) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = code === 'usage' ? 2 : 1;
    this.status = options?.status;
    this.problem = options?.problem;
  }
}

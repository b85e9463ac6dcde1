/** A configuration value that cannot be used; `variable` names the culprit. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_API_CONFIG';
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${variable}: ${message}`, options);
  }
}

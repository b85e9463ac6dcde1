/** Where the dev IdP reports what happens; silent unless one is given. Never receives tokens. */
export interface IdpLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: IdpLogger = { info() {}, warn() {}, error() {} };

/**
 * `@todo-sso/cli`: the `todo` command. `main` runs it in-process (tests, embedding).
 *
 * @packageDocumentation
 */
export { hasBrowser, openBrowser } from './browser.js';
export type { Command, CommandContext } from './command.js';
export type { CliErrorCode } from './errors.js';
export { CliError } from './errors.js';
export type { Io } from './io.js';
export { COMMANDS, main } from './main.js';
export type { Settings, StoreChoice } from './settings.js';
export { configDir, DEFAULTS, resolveSettings } from './settings.js';
export { FileStore } from './store/file-store.js';
export { KeyringStore } from './store/keyring-store.js';
export type { StoredSession, TokenStore } from './store/types.js';

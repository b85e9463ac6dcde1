/** How a confirmed change ended, for the control that asked for it. */
export type ChangeOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** One change an admin asked for, described for the confirmation. */
export interface IdpAction {
  readonly description: string;
  readonly run: () => Promise<string>;
  /** What a failure says, when not the error's own message (`undefined`: its message). */
  readonly failureText?: (error: unknown) => string | undefined;
  /** Told how the change ended, once confirmed (not when cancelled). */
  readonly after?: (outcome: ChangeOutcome) => void;
}

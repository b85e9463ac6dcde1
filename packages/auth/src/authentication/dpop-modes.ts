import type { DpopMode } from '../dpop/sender.js';
import {
  createDpopProofCheck,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopProofCheck,
} from '../dpop/verify-proof.js';
import type { AuthContext } from './context.js';

/** How an authenticator treats DPoP (RFC 9449), worked out once when it is created. */
export interface DpopSetup {
  /** The proof verifier, when the authenticator has `dpop` options. */
  readonly verifier: DpopProofCheck | undefined;
  /** Each issuer's mode, by `iss`. */
  readonly modes: ReadonlyMap<string, DpopMode>;
  /** Proof algorithms accepted, when at least one issuer accepts DPoP (for challenges, §7.1). */
  readonly algorithms: readonly string[] | undefined;
}

/** Each issuer's DPoP mode; a `required` issuer without proof verification is a TypeError. */
export function resolveDpop({ options, now, issuers }: AuthContext): DpopSetup {
  const verifier = options.dpop && createDpopProofCheck({ ...options.dpop, now });
  const modes = new Map<string, DpopMode>();
  for (const { issuer } of issuers.values()) {
    // Without a proof verifier nothing can be checked: `allowed` means bearer only, and
    // `required` could accept no token at all, a configuration error.
    const mode = issuer.dpop ?? 'allowed';
    if (mode === 'required' && verifier === undefined)
      throw new TypeError(`${issuer.issuer}: dpop required needs the authenticator's dpop options`);
    modes.set(issuer.issuer, verifier ? mode : 'off');
  }
  const algorithms = [...modes.values()].some((m) => m !== 'off')
    ? Object.freeze([...(options.dpop?.algorithms ?? DEFAULT_DPOP_ALGORITHMS)])
    : undefined;
  return { verifier, modes, algorithms };
}

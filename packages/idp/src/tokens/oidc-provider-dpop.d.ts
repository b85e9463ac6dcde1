// Types for oidc-provider's DPoP proof check, which the package ships without declarations.
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  import type Provider from 'oidc-provider';
  import type { KoaContextWithOIDC } from 'oidc-provider';

  /** A verified proof: its key's RFC 7638 thumbprint, `jti` and `iat`. */
  export interface VerifiedDpopProof {
    thumbprint: string;
    jti: string;
    iat: number;
  }

  /** Verifies the request's `DPoP` header; `undefined` when there is none. */
  export default function validateDpop(
    provider: Provider,
    ctx: KoaContextWithOIDC,
    accessToken?: string,
  ): Promise<VerifiedDpopProof | undefined>;

  /** Records the proof's `jti` for the client, refusing one seen before. */
  export function checkDpopReplay(
    provider: Provider,
    ctx: KoaContextWithOIDC,
    proof: VerifiedDpopProof | undefined,
    clientId: string,
  ): Promise<void>;
}

import type { Principal } from '../principal.js';

/**
 * One issuer's own levels of authentication (`acr`, OpenID Connect Core §2), for a provider
 * whose level names are not the default order's: its tokens' `acr` is ranked in these levels
 * alone, so a name another issuer uses counts for nothing here unless listed.
 *
 * @example
 * ```ts
 * // A partner whose levels are bronze < silver < gold, and whose gold is what `mfa` asks for.
 * const partner: IssuerAcrLevels = { levels: ['bronze', 'silver', 'gold'], asks: new Map([['mfa', 'gold']]) };
 * ```
 */
export interface IssuerAcrLevels {
  /** The issuer's levels, weakest first. */
  readonly levels: readonly string[];
  /**
   * The level of this issuer a requirement's `acr` asks for, by the requirement's level
   * (`mfa` → `gold`); a requirement level not here asks for the level of the same name.
   */
  readonly asks?: ReadonlyMap<string, string>;
}

/** Where an issuer's levels come from: its own, else the default order. */
export interface AcrLevelSource {
  /** The default order, weakest first (`['pwd', 'mfa']`). */
  readonly acrLevels?: readonly string[] | undefined;
  /** Issuers with levels of their own, by exact issuer identifier (`iss`). */
  readonly issuerAcrLevels?: ReadonlyMap<string, IssuerAcrLevels> | undefined;
}

/** How a requirement's `acr` reads at one issuer: its levels and the one asked for. */
export interface AcrAsked {
  readonly levels: readonly string[];
  /** The issuer's level to ask for (RFC 9470 §3 `acr_values`). */
  readonly asked: string;
}

/**
 * What a requirement's level `acr` means for the tokens of `issuer`: the issuer's levels (its
 * own, else the default order) and which of them the requirement asks for.
 */
export function acrAskedAt(issuer: string, acr: string, source: AcrLevelSource): AcrAsked {
  const own = source.issuerAcrLevels?.get(issuer);
  if (own === undefined) return { levels: source.acrLevels ?? [], asked: acr };
  return { levels: own.levels, asked: own.asks?.get(acr) ?? acr };
}

/**
 * The level to ask `principal` for when its `acr` falls short of the requirement's level
 * `acr` at its own issuer, `undefined` when it is met. Levels are compared by their place in
 * the issuer's order, never as strings; an `acr` missing, or outside the order, is below every
 * level, and a level the order does not hold is met by nobody (fail closed).
 */
export function acrShortfall(
  principal: Pick<Principal, 'issuer' | 'acr'>,
  acr: string,
  source: AcrLevelSource,
): string | undefined {
  const { levels, asked } = acrAskedAt(principal.issuer, acr, source);
  const needed = levels.indexOf(asked);
  const held = principal.acr === undefined ? -1 : levels.indexOf(principal.acr);
  return needed < 0 || held < needed ? asked : undefined;
}

/**
 * The mistakes of a requirement's level `acr` against the configured levels, empty when it
 * reads at every issuer: a level outside the default order, or asking an issuer with levels of
 * its own for one it does not have.
 */
export function acrProblems(acr: string, source: AcrLevelSource): string[] {
  const problems: string[] = [];
  if (!(source.acrLevels ?? []).includes(acr))
    problems.push(`acr ${acr} is not one of the configured levels`);
  for (const [issuer, own] of source.issuerAcrLevels ?? []) {
    const asked = own.asks?.get(acr) ?? acr;
    if (!own.levels.includes(asked))
      problems.push(`acr ${acr} asks ${issuer} for ${asked}, which is not one of its levels`);
  }
  return problems;
}

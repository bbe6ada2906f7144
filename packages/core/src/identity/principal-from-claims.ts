import { TokenError } from '../errors.js';
import type { Principal, PrincipalKind } from '../types.js';

/** Which claims make up a principal (from `IdentityConfig`, defaults applied). */
export interface ClaimMapping {
  readonly subjectClaim: string;
  readonly groupsClaim: string;
  readonly kindClaim?: string;
  readonly defaultKind?: PrincipalKind;
}

/** Deepest RFC 8693 `act` nesting accepted; deeper chains are rejected, not cut short. */
export const MAX_ACTOR_DEPTH = 16;

const KINDS: readonly string[] = ['human', 'agent', 'service'];

/**
 * Maps a verified JWT claims set to a {@link Principal} (docs/ §2). The result is frozen: it
 * is cached and shared between requests.
 *
 * - `subject`: the `subjectClaim` (default `sub`), a non-empty string.
 * - `groups`: the `groupsClaim` path, an array of strings or a string of names separated by ASCII
 *   whitespace (other spaces, such as U+00A0, are part of a name); absent or
 *   `null` is no groups. Anything else is rejected, since a deny rule on a group must not be
 *   skipped because the claim had an unexpected shape.
 * - `actor`/`actorChain`: RFC 8693 `act.sub`, then `act.act.sub`, …, current actor first.
 * - `kind`: the `kindClaim` value, else `defaultKind`, else `agent` when there is an actor, else
 *   `human`.
 *
 * Claim paths are dotted (`realm_access.roles`); a top-level claim whose name is the whole path
 * (`https://example.com/groups`) wins over walking it.
 *
 * @example
 * ```ts
 * principalFromClaims({ sub: 'alice', groups: 'a b', act: { sub: 'bot' } }, { subjectClaim: 'sub', groupsClaim: 'groups' });
 * // { subject: 'alice', groups: ['a', 'b'], kind: 'agent', actor: 'bot', actorChain: ['bot'] }
 * ```
 * @throws TokenError `ERR_TOKEN_CLAIM` when a mapped claim is missing or has the wrong shape.
 */
export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
): Principal {
  const subject = readClaim(claims, mapping.subjectClaim);
  if (typeof subject !== 'string' || subject === '') {
    throw new TokenError(
      'ERR_TOKEN_CLAIM',
      subject === undefined
        ? `token has no subject claim ${JSON.stringify(mapping.subjectClaim)}`
        : `token subject claim ${JSON.stringify(mapping.subjectClaim)} is not a non-empty string`,
    );
  }
  const groups = readGroups(claims, mapping.groupsClaim);
  const actorChain = readActorChain(claims['act']);
  const kind = readKind(claims, mapping, actorChain.length > 0);

  const principal: {
    -readonly [K in keyof Principal]: Principal[K];
  } = { subject, groups, kind };
  const actor = actorChain[0];
  if (actor !== undefined) {
    principal.actor = actor;
    principal.actorChain = Object.freeze(actorChain);
  }
  if (typeof claims['iss'] === 'string') principal.issuer = claims['iss'];
  const jti = claims['jti'];
  if (jti !== undefined) {
    if (typeof jti !== 'string') throw new TokenError('ERR_TOKEN_CLAIM', 'token id (jti) is not a string');
    principal.tokenId = jti;
  }
  if (typeof claims['exp'] === 'number') principal.expiresAt = claims['exp'];
  return Object.freeze(principal);
}

/** Reads a claim by name, or by dotted path when no top-level claim has that exact name. */
export function readClaim(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function readGroups(claims: Readonly<Record<string, unknown>>, path: string): readonly string[] {
  const value = readClaim(claims, path);
  if (value === undefined || value === null) return Object.freeze([]);
  let names: string[];
  if (typeof value === 'string') {
    // ASCII whitespace only (space, tab, LF, FF, CR — the separators of OAuth's `scope`, RFC
    // 6749 §3.3, and of HTML). JavaScript's \s also splits on no-break and other Unicode
    // spaces, which made "contractors\u00a0admins" two groups, `admins` among them.
    names = value.split(/[\t\n\f\r ]+/);
  } else if (Array.isArray(value) && value.every((g): g is string => typeof g === 'string')) {
    names = value;
  } else {
    throw new TokenError(
      'ERR_TOKEN_CLAIM',
      `token groups claim ${JSON.stringify(path)} is neither an array of strings nor a space-separated string`,
    );
  }
  // Empty names match no rule; duplicates change nothing but the size of every decision.
  return Object.freeze([...new Set(names.filter((g) => g !== ''))]);
}

function readActorChain(act: unknown): string[] {
  const chain: string[] = [];
  let current = act;
  while (current !== undefined && current !== null) {
    if (typeof current !== 'object' || Array.isArray(current)) {
      throw new TokenError('ERR_TOKEN_CLAIM', 'token act claim is not an object (RFC 8693 §4.1)');
    }
    if (chain.length === MAX_ACTOR_DEPTH) {
      throw new TokenError('ERR_TOKEN_CLAIM', `token act chain is deeper than ${MAX_ACTOR_DEPTH} actors`);
    }
    const record = current as Record<string, unknown>;
    const sub = record['sub'];
    if (typeof sub !== 'string' || sub === '') {
      throw new TokenError('ERR_TOKEN_CLAIM', 'token act claim has no sub (RFC 8693 §4.1)');
    }
    chain.push(sub);
    current = Object.hasOwn(record, 'act') ? record['act'] : undefined;
  }
  return chain;
}

function readKind(
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
  hasActor: boolean,
): PrincipalKind {
  if (mapping.kindClaim !== undefined) {
    const value = readClaim(claims, mapping.kindClaim);
    if (value !== undefined && value !== null) {
      if (typeof value !== 'string' || !KINDS.includes(value)) {
        throw new TokenError(
          'ERR_TOKEN_CLAIM',
          `token kind claim ${JSON.stringify(mapping.kindClaim)} is not one of human, agent, service`,
        );
      }
      return value as PrincipalKind;
    }
  }
  if (mapping.defaultKind !== undefined) return mapping.defaultKind;
  return hasActor ? 'agent' : 'human';
}

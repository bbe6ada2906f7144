import { describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import type { Principal } from '../types.js';
import {
  MAX_ACTOR_DEPTH,
  principalFromClaims,
  readClaim,
  type ClaimMapping,
} from './principal-from-claims.js';

const defaults: ClaimMapping = { subjectClaim: 'sub', groupsClaim: 'groups' };

describe('principalFromClaims', () => {
  it.each<[string, Record<string, unknown>, Partial<ClaimMapping>, Principal]>([
    ['subject only', { sub: 'alice' }, {}, { subject: 'alice', groups: [], kind: 'human' }],
    [
      'issuer, token id and expiry',
      { sub: 'alice', iss: 'https://idp/', jti: 'j1', exp: 1900000000 },
      {},
      {
        subject: 'alice',
        groups: [],
        kind: 'human',
        issuer: 'https://idp/',
        tokenId: 'j1',
        expiresAt: 1900000000,
      },
    ],
    [
      'groups array',
      { sub: 'a', groups: ['x', 'y', 'x', ''] },
      {},
      { subject: 'a', groups: ['x', 'y'], kind: 'human' },
    ],
    [
      'groups string',
      { sub: 'a', groups: ' x  y\tz ' },
      {},
      { subject: 'a', groups: ['x', 'y', 'z'], kind: 'human' },
    ],
    ['groups null', { sub: 'a', groups: null }, {}, { subject: 'a', groups: [], kind: 'human' }],
    [
      'groups from a dotted path',
      { sub: 'a', realm_access: { roles: ['admin'] } },
      { groupsClaim: 'realm_access.roles' },
      { subject: 'a', groups: ['admin'], kind: 'human' },
    ],
    [
      'groups from a claim whose name contains dots',
      { sub: 'a', 'https://example.com/groups': ['ops'] },
      { groupsClaim: 'https://example.com/groups' },
      { subject: 'a', groups: ['ops'], kind: 'human' },
    ],
    [
      'a missing dotted path is no groups',
      { sub: 'a', realm_access: {} },
      { groupsClaim: 'realm_access.roles' },
      { subject: 'a', groups: [], kind: 'human' },
    ],
    [
      'one actor',
      { sub: 'alice', act: { sub: 'copilot' } },
      {},
      { subject: 'alice', groups: [], kind: 'agent', actor: 'copilot', actorChain: ['copilot'] },
    ],
    [
      'a nested act chain, current actor first',
      { sub: 'alice', act: { sub: 'copilot', act: { sub: 'planner', act: { sub: 'gateway' } } } },
      {},
      {
        subject: 'alice',
        groups: [],
        kind: 'agent',
        actor: 'copilot',
        actorChain: ['copilot', 'planner', 'gateway'],
      },
    ],
    [
      'act null is no actor',
      { sub: 'alice', act: null },
      {},
      { subject: 'alice', groups: [], kind: 'human' },
    ],
    [
      'defaultKind wins over the act inference',
      { sub: 'alice', act: { sub: 'bot' } },
      { defaultKind: 'service' },
      { subject: 'alice', groups: [], kind: 'service', actor: 'bot', actorChain: ['bot'] },
    ],
    [
      'the kind claim wins over everything',
      { sub: 'svc', ext: { kind: 'service' }, act: { sub: 'bot' } },
      { kindClaim: 'ext.kind', defaultKind: 'human' },
      { subject: 'svc', groups: [], kind: 'service', actor: 'bot', actorChain: ['bot'] },
    ],
    [
      'an absent kind claim falls back',
      { sub: 'alice' },
      { kindClaim: 'kind', defaultKind: 'agent' },
      { subject: 'alice', groups: [], kind: 'agent' },
    ],
    [
      'a custom subject claim',
      { sub: 'x', email: 'a@b' },
      { subjectClaim: 'email' },
      { subject: 'a@b', groups: [], kind: 'human' },
    ],
  ])('%s', (_name, claims, mapping, expected) => {
    expect(principalFromClaims(claims, { ...defaults, ...mapping })).toEqual(expected);
  });

  const deep = (n: number): Record<string, unknown> => {
    let act: Record<string, unknown> | undefined;
    for (let i = n; i > 0; i--) act = act === undefined ? { sub: `a${i}` } : { sub: `a${i}`, act };
    return { sub: 'alice', act };
  };

  it(`accepts ${MAX_ACTOR_DEPTH} nested actors and rejects one more`, () => {
    expect(principalFromClaims(deep(MAX_ACTOR_DEPTH), defaults).actorChain).toHaveLength(MAX_ACTOR_DEPTH);
    expect(() => principalFromClaims(deep(MAX_ACTOR_DEPTH + 1), defaults)).toThrow(TokenError);
  });

  it.each<[string, Record<string, unknown>, Partial<ClaimMapping>]>([
    ['no subject', {}, {}],
    ['an empty subject', { sub: '' }, {}],
    ['a numeric subject', { sub: 42 }, {}],
    ['groups as a number', { sub: 'a', groups: 3 }, {}],
    ['groups as an object', { sub: 'a', groups: { admin: true } }, {}],
    ['groups with a non-string member', { sub: 'a', groups: ['x', 1] }, {}],
    ['an unknown kind', { sub: 'a', kind: 'Robot' }, { kindClaim: 'kind' }],
    ['a kind that is not a string', { sub: 'a', kind: 1 }, { kindClaim: 'kind' }],
    ['act as an array', { sub: 'a', act: [{ sub: 'b' }] }, {}],
    ['act with an empty sub', { sub: 'a', act: { sub: '' } }, {}],
    ['a nested act without sub', { sub: 'a', act: { sub: 'b', act: { iss: 'x' } } }, {}],
    ['jti as a number', { sub: 'a', jti: 1 }, {}],
  ])('%s → ERR_TOKEN_CLAIM', (_name, claims, mapping) => {
    let error: unknown;
    try {
      principalFromClaims(claims, { ...defaults, ...mapping });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).code).toBe('ERR_TOKEN_CLAIM');
  });
});

describe('readClaim', () => {
  it('walks own properties only', () => {
    const claims = JSON.parse('{"a":{"b":{"c":1}},"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(readClaim(claims, 'a.b.c')).toBe(1);
    expect(readClaim(claims, 'a.toString')).toBeUndefined();
    expect(readClaim(claims, 'a.b.c.d')).toBeUndefined();
    expect(readClaim(claims, 'constructor')).toBeUndefined();
  });
});

describe('a single-string groups claim splits on ASCII whitespace only', () => {
  it.each([
    ['contractors\u00a0admins', ['contractors\u00a0admins']], // no-break space: one group
    ['contractors\u2003admins', ['contractors\u2003admins']], // em space
    ['contractors\u3000admins', ['contractors\u3000admins']], // ideographic space
    ['contractors\u2028admins', ['contractors\u2028admins']], // line separator
    ['contractors\u0085admins', ['contractors\u0085admins']], // next line (C1)
    ['a b\tc\nd\re\ff', ['a', 'b', 'c', 'd', 'e', 'f']], // space, tab, LF, CR, FF
    ['  a   b  ', ['a', 'b']],
  ])('%j → %j', (groups, expected) => {
    expect(principalFromClaims({ sub: 'alice', groups }, defaults).groups).toEqual(expected);
  });
});

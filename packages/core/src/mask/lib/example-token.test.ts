import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isExampleToken } from './definition.js';

// isExampleToken reads its runs in one pass; this is the same rule written as patterns, which
// it must agree with on every token.
function byPatterns(token: string): boolean {
  if (token.length > 512) return false;
  if (/EXAMPLE|[Ee]xample|\.\.\.|…|[xX*]{6}|([A-Za-z0-9])\1{7}/.test(token)) return true;
  for (let i = 1, run = 1; i < token.length; i++) {
    run = token.charCodeAt(i) === token.charCodeAt(i - 1) + 1 ? run + 1 : 1;
    if (run >= 8) return true;
  }
  return /(?:^|[-_.])(?:your|not[-_]?a[-_]?real|fake|dummy|placeholder|sample|changeme|insert|replace)(?:[-_.]|$)|[-_](?:here|goes[-_]?here)$/i.test(
    token,
  );
}

describe('isExampleToken', () => {
  it('agrees with the rule written as patterns', () => {
    const piece = fc.oneof(
      fc.constantFrom('x', 'X', '*', '.', '…', 'e', 'E', 'xample', 'XAMPLE', 'EXAMPL', '-', '_', 'é', '\0'),
      fc.constantFrom('your', 'here', 'not_a_real', 'fake', 'changeme', 'abcdefg', '1234567', 'zzzzzzz'),
      fc.stringMatching(/^[A-Za-z0-9]{1,6}$/),
      fc.string({ unit: 'binary', maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const token = pieces.join('');
        expect(isExampleToken(token)).toBe(byPatterns(token));
      }),
      { numRuns: 20000 },
    );
  });

  it.each([
    ['AKIAIOSFODNN7EXAMPLE', true],
    ['sk-...', true],
    ['xxxxxx', true],
    ['**x*X*', true],
    ['aaaaaaa1', false],
    ['aaaaaaaa', true],
    ['abcdefgh', true],
    ['\0\u0001\u0002\u0003\u0004\u0005\u0006', false],
    ['ghp_Zq8rT2mW9xK4vB7nL1cY6pD3fH5jS0aE', false],
  ])('%j is an example: %s', (token, example) => {
    expect(isExampleToken(token)).toBe(example);
  });
});

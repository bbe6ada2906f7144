import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobList, GlobSyntaxError, isLiteralPattern } from './glob.js';

describe('flat globs (shell command lines, SQL names, identities)', () => {
  it.each([
    // pattern, input, expected
    ['rm -rf /*', 'rm -rf /', true],
    ['rm -rf /*', 'rm -rf /etc/passwd', true],
    ['rm -rf /*', 'rm -rf /../etc', true],
    ['rm -rf /*', 'rm -rf ./x', false],
    ['rm *', 'rm a\nb /', true],
    ['rm *', 'rm', false],
    ['rm*', 'rm', true],
    ['grep *', 'grep -i a b /x', true],
    ['public.*', 'public.users', true],
    ['public.*', 'public.a.b', true],
    ['public.*', 'publicXusers', false],
    ['public.*', 'other.users', false],
    ['*.users', 'public.users', true],
    ['*.users', 'users', false],
    ['*', '', true],
    ['*', 'a/b c.d\n.e', true],
    ['**', 'x/y', true],
    ['*secret*', 'cat /etc/secrets/db', true],
    ['a*b*c', 'a/x/b/y/c', true],
    ['a*b*c', 'a/x/c/y/b', false],
    ['a?c', 'a/c', true],
    ['a?c', 'ac', false],
    ['cat /etc/*', 'cat /etc/.hidden', true],
    ['[abc]x', 'bx', true],
    ['[!abc]x', 'bx', false],
    ['[^abc]x', 'dx', true],
    ['[a-c]x', 'cx', true],
    ['[a-c]x', 'dx', false],
    ['[]]x', ']x', true],
    ['{public,private}.*', 'private.x', true],
    ['{public,private}.*', 'shared.x', false],
    ['a{b,c{d,e}}f', 'acef', true],
    ['a{b,c{d,e}}f', 'acf', false],
    ['find * -exec rm {} ;', 'find . -exec rm {} ;', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['!public.*', 'secret.keys', true],
    ['!public.*', 'public.users', false],
    ['!', '!', true],
    ['alice@example.com', 'alice@example.com', true],
    ['*@example.com', 'bob@example.com', true],
    ['system:serviceaccount:*', 'system:serviceaccount:ns:name', true],
  ])('%j on %j is %s', (pattern, input, expected) => {
    expect(compileGlob(pattern, 'flat')(input)).toBe(expected);
  });

  it('rejects broken patterns with a message', () => {
    expect(() => compileGlob('', 'flat')).toThrow(GlobSyntaxError);
    expect(() => compileGlob('{a,b', 'flat')).toThrow(/unbalanced "\{"/);
    expect(() => compileGlob('a}', 'flat')).toThrow(/unbalanced "\}"/);
    expect(() => compileGlob('a\\', 'flat')).toThrow(/cannot end with/);
    expect(() => compileGlob('[z-a]', 'flat')).toThrow(/reversed/);
    expect(() => compileGlob(`${'{a,'.repeat(40)}b${'}'.repeat(40)}`, 'flat')).toThrow(/nest deeper/);
  });

  it('many brace groups compile without expanding them (no cap on alternatives needed)', () => {
    const m = compileGlob('{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}', 'flat');
    expect(m('acegikmoq')).toBe(true);
    expect(m('bdfhjlnpr')).toBe(true);
    expect(m('acegikmox')).toBe(false);
  });

  it('matches long inputs against many stars in linear-ish time (no regex backtracking)', () => {
    const m = compileGlob('*a*a*a*a*a*a*a*a*b', 'flat');
    expect(m('a'.repeat(20_000))).toBe(false);
  });

  it('agrees with a reference regular expression for random patterns and inputs', () => {
    const alphabet = ['a', 'b', '/', '.', ' ', '\n'];
    const token = fc.constantFrom(...alphabet, '*', '?');
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }),
        (tokens, chars) => {
          const pattern = tokens.join('');
          const input = chars.join('');
          const source = tokens
            .map((t) =>
              t === '*' ? '[\\s\\S]*' : t === '?' ? '[\\s\\S]' : t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
            )
            .join('');
          expect(compileGlob(pattern, 'flat')(input)).toBe(new RegExp(`^${source}$`).test(input));
        },
      ),
    );
  });

  it('an escaped literal pattern matches exactly its own text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (text, other) => {
        const escaped = text.replace(/[*?[\]{}\\!]/g, '\\$&');
        const m = compileGlob(escaped, 'flat');
        expect(m(text)).toBe(true);
        expect(m(other)).toBe(other === text);
      }),
    );
  });
});

describe('path globs (Kubernetes resources)', () => {
  it.each([
    ['namespaces/*/secrets/**', 'namespaces/prod/secrets', true],
    ['namespaces/*/secrets/**', 'namespaces/prod/secrets/db', true],
    ['namespaces/*/secrets/**', 'namespaces/prod/secrets/db/x', true],
    ['namespaces/*/secrets/**', 'namespaces/a/b/secrets/x', false],
    ['namespaces/*', 'namespaces/prod', true],
    ['namespaces/*', 'namespaces/prod/pods', false],
    ['namespaces/prod/pods/*', 'namespaces/prod/pods/web-1', true],
    ['namespaces/prod/pods/*', 'namespaces/prod/pods/web-1/log', false],
    ['namespaces/*/pods/*', 'namespaces/p/pods/.hidden', true],
    ['namespaces/**/log', 'namespaces/p/pods/w/log', true],
    ['**/secrets/**', 'namespaces/kube-system/secrets/token', true],
    ['**', 'a/b/c', true],
    ['*', 'a/b', false],
    ['*', 'pods', true],
    ['pods', 'pods', true],
    ['namespaces/prod/deployments.apps/*', 'namespaces/prod/deployments.apps/web', true],
    ['namespaces/{prod,staging}/**', 'namespaces/staging/pods/x', true],
    ['!namespaces/kube-system/**', 'namespaces/prod/pods/x', true],
    ['!namespaces/kube-system/**', 'namespaces/kube-system/pods/x', false],
  ])('%j on %j is %s', (pattern, input, expected) => {
    expect(compileGlob(pattern, 'path')(input)).toBe(expected);
  });

  it('rejects an unbalanced bracket', () => {
    expect(() => compileGlob('pods/[a', 'path')).toThrow(GlobSyntaxError);
    expect(() => compileGlob('pods/a]', 'path')).toThrow(/unbalanced "\]"/);
  });

  it.each([
    ['+(a|b)', /"\(" is not glob syntax/],
    ['pods/(web|db)', /"\(" is not glob syntax/],
    ['pods/a|b', /"\|" is not glob syntax/],
    ['pods/[[:alpha:]]*', /POSIX classes/],
  ])('refuses %j instead of giving it regular-expression meaning', (pattern, message) => {
    expect(() => compileGlob(pattern, 'path')).toThrow(message);
  });

  it.each([
    // `[!x]` negates, as in the flat flavour (picomatch with strictBrackets read it as the
    // class of "!" and "x", so `pods/[!k]*` matched `kube-dns` and not `web`).
    ['pods/[!k]*', 'pods/web', true],
    ['pods/[!k]*', 'pods/kube-dns', false],
    ['pods/[!k]*', 'pods/!x', true],
    // Kept from picomatch: a final `/**` after a `*` segment needs the slash.
    ['namespaces/*/**', 'namespaces/prod', false],
    ['namespaces/*/**', 'namespaces/prod/pods', true],
    ['./namespaces/*', 'namespaces/prod', true],
    ['!!namespaces/*', 'namespaces/prod', true],
    ['namespaces/{prod,**}', 'namespaces/a/b', true],
    ['namespaces/*/pods/*-*-*', `namespaces/p/pods/${'a-'.repeat(1_000)}/x`, false],
    ['namespaces/*/pods/*-*-*', `namespaces/p/pods/web-${'a'.repeat(5_000)}-x`, true],
  ])('%j on %j is %s', (pattern, input, expected) => {
    expect(compileGlob(pattern, 'path')(input)).toBe(expected);
  });
});

describe('lists and literals', () => {
  it('a path list means the same as its patterns one by one', () => {
    const m = compileGlobList(['./namespaces/prod', 'namespaces/*/pods/*', '!namespaces/x/**'], 'path');
    expect(m('namespaces/prod')).toBe(true);
    expect(m('namespaces/a/pods/b')).toBe(true);
    expect(m('namespaces/x/pods/b')).toBe(true); // the second pattern matches
    expect(m('namespaces/y/secrets/b')).toBe(true); // only the negation matches
    expect(m('namespaces/x/secrets/b')).toBe(false); // none matches
  });

  it('a list matches when any pattern matches', () => {
    const m = compileGlobList(['analysts', 'sre-*', 'ops'], 'flat');
    expect(['analysts', 'sre-oncall', 'ops'].map(m)).toEqual([true, true, true]);
    expect(['analyst', 'sre', 'opsx'].map(m)).toEqual([false, false, false]);
  });

  it.each([
    ['warehouse', 'flat', true],
    ['public.*', 'flat', false],
    ['!x', 'flat', false],
    ['a\\*', 'flat', false],
    ['namespaces/prod', 'path', true],
    ['namespaces/*', 'path', false],
    ['+(a|b)', 'path', false],
    ['./namespaces/prod', 'path', false], // the leading ./ is dropped when compiled
  ] as const)('isLiteralPattern(%j, %s) is %s', (p, flavour, expected) => {
    expect(isLiteralPattern(p, flavour)).toBe(expected);
  });
});

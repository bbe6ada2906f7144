import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlobList, compileGlobPrefixes, type GlobFlavour } from './glob.js';

describe('a pattern list asked about every input under a prefix', () => {
  it.each([
    // patterns, prefix, some, every
    [['/etc/ssh/sshd_config'], '/etc/', true, false],
    [['/etc/ssh/sshd_config'], '/etc/ssh/', true, false],
    [['/etc/ssh/sshd_config'], '/etc/nginx/', false, false],
    [['/etc/ssh/sshd_config'], '/etc/ssh/sshd_config/', false, false],
    [['/etc/*'], '/etc/', true, true],
    [['/etc/*'], '/etc/ssh/', true, true],
    [['/etc/*'], '/', true, false],
    [['/etc/*.conf'], '/etc/', true, false],
    [['/etc', '/etc/'], '/etc/', true, false],
    [['*'], '/', true, true],
    [['*.env'], '/srv/app/', true, false],
    [['/home/*/.ssh/*'], '/home/bob/build/', true, false],
    [['/srv/app/{a,b}/*'], '/srv/app/a/', true, true],
    [['/srv/app/{a,b}/*'], '/srv/app/c/', false, false],
    [['/srv/app/?*', '/srv/app/'], '/srv/app/', true, false],
    [['/srv/app/[!x]*', '/srv/app/x*'], '/srv/app/', true, false],
    [['/srv/app/[!x]*', '/srv/app/x*', '/srv/app/*'], '/srv/app/', true, true],
    [['!/tmp/*'], '/tmp/build/', false, false],
    [['!/tmp/*'], '/', true, false],
    [['!/tmp/*'], '/srv/', true, true],
  ] as const)('%j under %s: some %s, every %s', (patterns, prefix, some, every) => {
    const m = compileGlobPrefixes(patterns, 'flat');
    expect(m.some(prefix)).toBe(some);
    expect(m.every(prefix)).toBe(every);
  });

  it('in the path flavour `*` stays in its segment', () => {
    const m = compileGlobPrefixes(['namespaces/*', 'nodes/**'], 'path');
    expect(m.every('namespaces/prod/')).toBe(false);
    expect(m.some('namespaces/prod/')).toBe(false);
    expect(m.some('namespaces/')).toBe(true);
    expect(m.every('nodes/')).toBe(true);
  });

  // Sound against the matcher itself: where a continuation matches, `some` is true; where one
  // does not, `every` is false.
  const piece = fc.constantFrom('a', 'b', '/', '.', '*', '?', '**', '[ab]', '[!a]', '{a,b/}', '{,c}');
  const pattern = fc
    .tuple(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 6 }))
    .map(([negated, parts]) => `${negated ? '!' : ''}${parts.join('')}`)
    .filter((p) => p !== '!');
  const text = fc
    .array(fc.constantFrom('a', 'b', 'c', '/', '.', 'é'), { maxLength: 6 })
    .map((a) => a.join(''));

  it.each(['flat', 'path'] as GlobFlavour[])('never says less than the matcher (%s)', (flavour) => {
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 1, maxLength: 3 }),
        text,
        fc.array(text, { minLength: 1, maxLength: 8 }),
        (patterns, prefix, rests) => {
          let list: ((s: string) => boolean) | undefined;
          try {
            list = compileGlobList(patterns, flavour);
          } catch {
            return; // a pattern the flavour refuses
          }
          const m = compileGlobPrefixes(patterns, flavour);
          const some = m.some(prefix);
          const every = m.every(prefix);
          for (const rest of ['', ...rests]) {
            if (list(prefix + rest)) expect(some, `${prefix + rest} matches`).toBe(true);
            else expect(every, `${prefix + rest} does not match`).toBe(false);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

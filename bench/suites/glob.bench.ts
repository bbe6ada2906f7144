// Why policies are compiled at load (STYLE.md "compile once, decide many times"): matching a
// glob through a matcher compiled once, beside picomatch.isMatch, which compiles the pattern
// on every call.
import picomatch from 'picomatch';
// Internal to core (not exported): the compiler policies use for every `when` glob.
import { compileGlob } from '../../packages/core/src/policy/glob.js';
import type { BenchSuite } from '../harness.js';

const patterns = ['namespaces/prod/pods/*', 'public.*', 'grep *', '**/secrets/**', 'analysts', 'sre-*'];
const inputs = [
  'namespaces/prod/pods/web-1',
  'public.users',
  'grep -i error /var/log/syslog',
  'namespaces/kube-system/secrets/token',
  'managers',
  'sre-oncall',
];
const options = { dot: true } as const;
const compiled = patterns.map((p) => picomatch(p, options));

export const baseSuites: readonly BenchSuite[] = [
  {
    name: 'glob matching: 6 patterns × 6 inputs',
    description: 'A matcher compiled once beside picomatch.isMatch compiling on every call.',
    baseline: {
      name: 'picomatch.isMatch (compiles per call)',
      fn: () => {
        let hits = 0;
        for (const p of patterns) for (const s of inputs) if (picomatch.isMatch(s, p, options)) hits++;
        return hits;
      },
    },
    tasks: [
      {
        name: 'precompiled matchers',
        fn: () => {
          let hits = 0;
          for (const m of compiled) for (const s of inputs) if (m(s)) hits++;
          return hits;
        },
      },
    ],
  },
];

// The policy matcher (an automaton simulated over live states) beside what path globs compiled
// to before: picomatch's regular expression, compiled once with the same options. The ordinary
// case is what policies look like; the pathological one is an ordinary rule against a long
// name, where the regular expression backtracks (seconds at 2,000 characters, so 600 here to
// keep the baseline measurable).
const pathPatterns = [
  'namespaces/prod/pods/*',
  '**/secrets/**',
  'namespaces/*/pods/*-*-*',
  'namespaces/{prod,staging}/**',
];
const pathInputs = [
  'namespaces/prod/pods/web-1',
  'namespaces/kube-system/secrets/token',
  'namespaces/prod/pods/web-7d9f-x2',
  'namespaces/staging/deployments.apps/api',
];
const legacy = (p: string): ((s: string) => boolean) => picomatch(p, { dot: true, strictBrackets: true });
const legacyPath = pathPatterns.map(legacy);
const automatonPath = pathPatterns.map((p) => compileGlob(p, 'path'));
const evil = 'namespaces/*/pods/*-*-*';
const evilInput = `namespaces/p/pods/${'a-'.repeat(300)}/x`;
const legacyEvil = legacy(evil);
const automatonEvil = compileGlob(evil, 'path');

export const matcherSuites: readonly BenchSuite[] = [
  {
    name: 'path glob matching, ordinary: 4 patterns × 4 resources',
    description: 'The linear-time automaton beside the backtracking regular expression it replaced.',
    baseline: {
      name: 'picomatch regex (before)',
      fn: () => {
        let hits = 0;
        for (const m of legacyPath) for (const s of pathInputs) if (m(s)) hits++;
        return hits;
      },
    },
    tasks: [
      {
        name: 'automaton (compileGlob path)',
        fn: () => {
          let hits = 0;
          for (const m of automatonPath) for (const s of pathInputs) if (m(s)) hits++;
          return hits;
        },
      },
    ],
  },
  {
    name: 'path glob matching, pathological: namespaces/*/pods/*-*-* on a 600-character name',
    description: 'One ordinary rule against a long resource name that does not match.',
    notes: { pattern: evil, inputLength: evilInput.length },
    timeMs: 2_000,
    baseline: { name: 'picomatch regex (before)', fn: () => legacyEvil(evilInput) },
    tasks: [{ name: 'automaton (compileGlob path)', fn: () => automatonEvil(evilInput) }],
  },
];

export const suites: readonly BenchSuite[] = [...baseSuites, ...matcherSuites];

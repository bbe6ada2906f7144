// Why policies are compiled at load (STYLE.md "compile once, decide many times"): matching a
// glob through a matcher compiled once, beside picomatch.isMatch, which compiles the pattern
// on every call.
import picomatch from 'picomatch';
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

export const suites: readonly BenchSuite[] = [
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

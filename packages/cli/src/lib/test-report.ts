import type { Effect } from '@portcullis/core';

/** The outcome of one policy test case. */
export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly expected: Effect;
  readonly actual: Effect;
  /** The rule the case expected to decide, when it named one. */
  readonly expectedRule?: string;
  /** The rules that produced the decision. */
  readonly rules: readonly string[];
  readonly passed: boolean;
  readonly reasons: readonly string[];
  /** What differs from the expectations, when the case failed. */
  readonly failures?: readonly string[];
  /** Each action of the request, its effect and the rules that matched it (for `--verbose`). */
  readonly actions?: readonly {
    readonly action: string;
    readonly effect: Effect;
    readonly rules: readonly string[];
  }[];
}

/** How often the cases' actions matched each rule of one policy. */
export interface RuleCoverage {
  readonly policy: string;
  readonly rules: readonly { readonly id: string; readonly matched: number }[];
}

/** The share of rules matched at least once, in percent (100 when a policy has no rules). */
export function coveragePercent(coverage: readonly RuleCoverage[]): number {
  const all = coverage.flatMap((c) => c.rules);
  if (all.length === 0) return 100;
  return (100 * all.filter((r) => r.matched > 0).length) / all.length;
}

/** Human coverage: each rule exercised (with how many actions matched it) or never, then the total. */
export function formatCoverage(
  coverage: readonly RuleCoverage[],
  relative: (file: string) => string,
): string {
  const lines: string[] = [];
  for (const c of coverage) {
    lines.push(`coverage of ${relative(c.policy)}:`);
    const width = Math.max(0, ...c.rules.map((r) => r.id.length));
    for (const r of c.rules) {
      lines.push(
        `  ${r.id.padEnd(width)}  ${r.matched > 0 ? `exercised (${r.matched} action${r.matched === 1 ? '' : 's'})` : 'never'}`,
      );
    }
  }
  lines.push(`rule coverage: ${coveragePercent(coverage).toFixed(1)}%`);
  return lines.join('\n');
}

/** `--verbose`: every case, and per action the rules that matched. */
export function formatVerbose(report: TestReport): string {
  const lines: string[] = [];
  for (const c of report.cases) {
    lines.push(`${c.passed ? 'ok  ' : 'FAIL'} ${c.file}:${c.line} ${c.name}: ${c.actual}`);
    for (const a of c.actions ?? []) {
      lines.push(
        `       ${a.action}: ${a.effect}${a.rules.length > 0 ? ` by ${a.rules.join(', ')}` : ' (no rule matched)'}`,
      );
    }
  }
  return lines.join('\n');
}

/** Totals and every case, as `--reporter json` prints them (docs/ §5). */
export interface TestReport {
  readonly passed: number;
  readonly failed: number;
  readonly cases: readonly CaseResult[];
}

/** Builds the report from case results. */
export function summarize(cases: readonly CaseResult[]): TestReport {
  const passed = cases.filter((c) => c.passed).length;
  return { passed, failed: cases.length - passed, cases };
}

/** Human output: each failure with file, name, expected and actual decision and reasons; last line `N passed, N failed`. */
export function formatHuman(report: TestReport): string {
  const lines: string[] = [];
  for (const c of report.cases) {
    if (c.passed) continue;
    lines.push(`FAIL ${c.file}:${c.line} ${c.name}`);
    lines.push(
      `  expected: ${c.expected}${c.expectedRule === undefined ? '' : ` by rule ${c.expectedRule}`}`,
    );
    lines.push(`  actual:   ${c.actual}${c.rules.length > 0 ? ` by ${c.rules.join(', ')}` : ''}`);
    for (const failure of c.failures ?? []) lines.push(`  failed:   ${failure}`);
    for (const reason of c.reasons) lines.push(`  reason:   ${reason}`);
    lines.push('');
  }
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

/** `--reporter json`: `{ passed, failed, cases: [{ file, name, expected, actual, passed, reasons }] }`. */
export function formatJson(report: TestReport): string {
  return JSON.stringify(
    {
      passed: report.passed,
      failed: report.failed,
      cases: report.cases.map((c) => ({
        file: c.file,
        name: c.name,
        expected: c.expected,
        actual: c.actual,
        passed: c.passed,
        reasons: c.reasons,
        rules: c.rules,
        ...(c.expectedRule === undefined ? {} : { expectedRule: c.expectedRule }),
        ...(c.failures === undefined ? {} : { failures: c.failures }),
        ...(c.actions === undefined ? {} : { actions: c.actions }),
      })),
    },
    null,
    2,
  );
}

/** `--reporter junit`: JUnit XML, one testsuite per file, for CI systems. */
export function formatJunit(report: TestReport): string {
  const byFile = new Map<string, CaseResult[]>();
  for (const c of report.cases) {
    const list = byFile.get(c.file) ?? [];
    list.push(c);
    byFile.set(c.file, list);
  }
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="portcullis" tests="${report.cases.length}" failures="${report.failed}">`,
  ];
  for (const [file, cases] of byFile) {
    const failures = cases.filter((c) => !c.passed).length;
    out.push(`  <testsuite name="${xml(file)}" tests="${cases.length}" failures="${failures}">`);
    for (const c of cases) {
      out.push(`    <testcase classname="${xml(file)}" name="${xml(c.name)}">`);
      if (!c.passed) {
        const message = `expected ${c.expected}${c.expectedRule === undefined ? '' : ` by ${c.expectedRule}`}, got ${c.actual}${c.rules.length > 0 ? ` by ${c.rules.join(', ')}` : ''}`;
        out.push(`      <failure message="${xml(message)}">${xml(c.reasons.join('\n'))}</failure>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}

function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

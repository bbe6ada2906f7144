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
}

/** Totals and every case, as `--reporter json` prints them (SPEC.md §5). */
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

import { createPortcullis, loadPolicyFile, type Decision, type Portcullis } from '@portcullis/core';
import { loadSuite, type PolicyTestCase } from './load-suite.js';
import type { CaseResult, RuleCoverage } from './test-report.js';

/** Options of {@link runPolicySuites}. */
export interface RunPolicyTestsOptions {
  /** Only cases whose name matches (a case-insensitive regular expression). */
  readonly filter?: RegExp;
}

/** Case results, and for each policy which of its rules the cases exercised. */
export interface PolicySuitesResult {
  readonly cases: readonly CaseResult[];
  readonly coverage: readonly RuleCoverage[];
}

/**
 * Runs policy test suites (docs/testing-policies.md): each case's request is classified and
 * evaluated under the suite's policy exactly as the engine does for a live request
 * (`Portcullis.decide`), and the decision compared with the expectations (effect, deciding rule,
 * masking profile, review, recording). Counts, per rule of each policy, how many actions of the
 * cases it matched (coverage). Policies shared by several suites are loaded once.
 *
 * @example
 * ```ts
 * const { cases, coverage } = await runPolicySuites(['policies/portcullis.test.yaml']);
 * ```
 * @throws UsageError for an unreadable or invalid suite; PolicyError for an invalid policy.
 */
export async function runPolicySuites(
  files: readonly string[],
  options: RunPolicyTestsOptions = {},
): Promise<PolicySuitesResult> {
  const engines = new Map<string, Promise<{ engine: Portcullis; rules: readonly string[] }>>();
  const hits = new Map<string, Map<string, number>>();
  const engineFor = (policyFile: string): Promise<{ engine: Portcullis; rules: readonly string[] }> => {
    let entry = engines.get(policyFile);
    if (entry === undefined) {
      // Policy tests verify no token, so an unset hmacSecret variable must not stop them.
      entry = loadPolicyFile(policyFile, { ignoreMissingSecrets: true }).then(async (policy) => ({
        engine: await createPortcullis({ policy }),
        rules: (policy.document.rules ?? []).map((r) => r.id),
      }));
      engines.set(policyFile, entry);
    }
    return entry;
  };
  const results: CaseResult[] = [];
  for (const file of files) {
    const suite = await loadSuite(file);
    const { engine, rules } = await engineFor(suite.policy);
    let counts = hits.get(suite.policy);
    if (counts === undefined) hits.set(suite.policy, (counts = new Map(rules.map((id) => [id, 0]))));
    for (const c of suite.cases) {
      if (options.filter !== undefined && !options.filter.test(c.name)) continue;
      const decision = engine.decide({ principal: c.principal, target: c.target, request: c.request });
      for (const action of decision.actions) {
        for (const id of action.rules) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const failures = check(c, decision);
      results.push({
        file,
        name: c.name,
        line: c.line,
        expected: c.expect,
        actual: decision.effect,
        ...(c.expectRule === undefined ? {} : { expectedRule: c.expectRule }),
        rules: decision.rules,
        passed: failures.length === 0,
        reasons: decision.reasons,
        ...(failures.length === 0 ? {} : { failures }),
        actions: decision.actions.map((a) => ({
          action:
            a.action.resource === undefined
              ? a.action.operation
              : `${a.action.operation} ${a.action.resource}`,
          effect: a.effect,
          rules: a.rules,
        })),
      });
    }
  }
  const coverage: RuleCoverage[] = [...hits].map(([policy, counts]) => ({
    policy,
    rules: [...counts].map(([id, matched]) => ({ id, matched })),
  }));
  return { cases: results, coverage };
}

/**
 * Runs policy test suites and returns the case results ({@link runPolicySuites} without coverage).
 *
 * @example
 * ```ts
 * const results = await runPolicyTests(['policies/portcullis.test.yaml']);
 * ```
 * @throws UsageError for an unreadable or invalid suite; PolicyError for an invalid policy.
 */
export async function runPolicyTests(files: readonly string[]): Promise<CaseResult[]> {
  return [...(await runPolicySuites(files)).cases];
}

/** What in the decision differs from the case's expectations, one message each. */
function check(c: PolicyTestCase, decision: Decision): string[] {
  const failures: string[] = [];
  if (decision.effect !== c.expect) failures.push(`expected ${c.expect}, got ${decision.effect}`);
  if (c.expectRule !== undefined && !decision.rules.includes(c.expectRule))
    failures.push(`expected rule ${c.expectRule} to decide, got ${decision.rules.join(', ') || 'no rule'}`);
  if (c.expectMask !== undefined && (decision.mask ?? null) !== c.expectMask)
    failures.push(`expected masking profile ${String(c.expectMask)}, got ${decision.mask ?? 'none'}`);
  if (c.expectRecording !== undefined && decision.recordingRequired !== c.expectRecording)
    failures.push(
      `expected recording ${c.expectRecording ? 'required' : 'not required'}, got ${decision.recordingRequired ? 'required' : 'not required'}`,
    );
  if (c.expectReview !== undefined) {
    const reviews = decision.review ?? [];
    const want = c.expectReview;
    const same = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
      [...(a ?? [])].sort().join('\0') === [...(b ?? [])].sort().join('\0');
    const found = reviews.some(
      (r) =>
        (want.minApprovals === undefined || r.minApprovals === want.minApprovals) &&
        (want.approvers === undefined ||
          (same(r.approvers.groups, want.approvers.groups) &&
            same(r.approvers.subjects, want.approvers.subjects))),
    );
    if (!found) {
      const got = reviews
        .map(
          (r) =>
            `${r.minApprovals} of [${[...(r.approvers.groups ?? []).map((g) => `group ${g}`), ...(r.approvers.subjects ?? [])].join(', ')}]`,
        )
        .join('; ');
      failures.push(`expected review ${JSON.stringify(want)}, got ${got || 'no review'}`);
    }
  }
  return failures;
}

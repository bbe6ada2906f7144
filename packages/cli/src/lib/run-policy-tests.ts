import { createPortcullis, loadPolicyFile, type Portcullis } from '@portcullis/core';
import { loadSuite } from './load-suite.js';
import type { CaseResult } from './test-report.js';

/**
 * Runs policy test suites (SPEC.md §5): each case's request is classified and evaluated under the
 * suite's policy exactly as the engine does for a live request (`Portcullis.decide`), and the
 * decision's effect (and deciding rule, with `expectRule`) compared with the expectation.
 * Policies shared by several suites are loaded once.
 *
 * @example
 * ```ts
 * const results = await runPolicyTests(['policies/portcullis.test.yaml']);
 * ```
 * @throws UsageError for an unreadable or invalid suite; PolicyError for an invalid policy.
 */
export async function runPolicyTests(files: readonly string[]): Promise<CaseResult[]> {
  const engines = new Map<string, Promise<Portcullis>>();
  const engineFor = (policyFile: string): Promise<Portcullis> => {
    let engine = engines.get(policyFile);
    if (engine === undefined) {
      // Policy tests verify no token, so an unset hmacSecret variable must not stop them.
      engine = loadPolicyFile(policyFile, { ignoreMissingSecrets: true }).then((policy) =>
        createPortcullis({ policy }),
      );
      engines.set(policyFile, engine);
    }
    return engine;
  };
  const results: CaseResult[] = [];
  for (const file of files) {
    const suite = await loadSuite(file);
    const engine = await engineFor(suite.policy);
    for (const c of suite.cases) {
      const decision = engine.decide({ principal: c.principal, target: c.target, request: c.request });
      const ruleOk = c.expectRule === undefined || decision.rules.includes(c.expectRule);
      results.push({
        file,
        name: c.name,
        line: c.line,
        expected: c.expect,
        actual: decision.effect,
        ...(c.expectRule === undefined ? {} : { expectedRule: c.expectRule }),
        rules: decision.rules,
        passed: decision.effect === c.expect && ruleOk,
        reasons: decision.reasons,
      });
    }
  }
  return results;
}

/**
 * The usage text of `portcullis test` (`portcullis test --help`, `portcullis help test`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./test.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis test [--reporter human|json|junit] [--filter REGEX] [--verbose]
                       [--coverage] [--threshold PERCENT] [--watch] FILE|GLOB…

Runs policy test suites. Each suite names its policy (relative to the suite) and cases with a
principal, a target, one of sql | command | kube, and the expected decision; optionally the rule
that decides it (expectRule), the masking profile (expectMask), the review asked for
(expectReview: { approvers: { groups, subjects }, minApprovals }) and whether recording is
required (expectRecording). Top-level \`x-…\` keys hold YAML anchors the cases can use.
Prints each failure with its file, name, expected and actual decision and the reasons, then
\`N passed, N failed\`.

  --filter REGEX      only cases whose name matches (case-insensitive)
  --verbose           every case, and per action the rules that matched
  --coverage          per rule: exercised (how many actions matched it) or never
  --threshold PERCENT fail (exit 1) when fewer rules than this were exercised; implies --coverage
  --watch             run again whenever a suite or policy changes (until interrupted)

Exit 0 when every case passes (and coverage meets the threshold), 1 when not, 2 on usage or
input errors (an invalid suite or policy names its file and line).`;

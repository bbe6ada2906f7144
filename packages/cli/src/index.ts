// Public entry of @portcullis/cli: re-exports only.
export { runCli } from './main.js';
export type { CliIo } from './lib/cli-io.js';
export { runPolicyTests } from './lib/run-policy-tests.js';
export type { CaseResult, TestReport } from './lib/test-report.js';

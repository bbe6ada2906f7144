// Ends a vitest run with the skipped tests by name (their names carry the reason, e.g. that
// they need a real multi-session PostgreSQL), then one plain line,
// `Tests: N passed, N failed, N skipped`, so CI logs and machines that read closing lines get
// the counts without parsing vitest's colours.
import type { Reporter, TestModule } from 'vitest/node';

export class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const mod of testModules) {
      // A file that fails to load has no tests but must still count as a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          skippedNames.push(`  skipped: ${mod.moduleId.split('/').slice(-3).join('/')} > ${test.fullName}`);
        }
      }
    }
    const list = skippedNames.length > 0 ? `\n${skippedNames.join('\n')}` : '';
    process.stdout.write(`${list}\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

// `pnpm demo`: runs the agent demo on embedded PGlite and prints what happened. Exits 1 when any
// step did not behave as described, so it doubles as a smoke test.
//
//   node --conditions=portcullis-source --import tsx examples/agent-demo/src/main.ts [--out DIR]
import { parseArgs } from 'node:util';
import { formatTable } from './format-table.js';
import { runDemo } from './run-demo.js';

const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });

process.stdout.write(
  'Portcullis agent demo: an AI agent acting for alice works on a shop database through the gate,\n' +
    'then through the MCP server on the database, an SSH host and a Kubernetes cluster.\n' +
    'Embedded PGlite, stand-ins for the SSH host and the cluster, a local token issuer on 127.0.0.1;\n' +
    'nothing leaves this machine.\n\n',
);

try {
  const result = await runDemo(values.out === undefined ? {} : { outDir: values.out });
  process.stdout.write(`${formatTable(result.steps)}\n\n`);
  process.stdout.write('What the agent saw of customers:\n');
  for (const row of result.customersSeen) {
    process.stdout.write(
      `  ${Object.entries(row)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('  ')}\n`,
    );
  }
  process.stdout.write(
    `\nPolicy:    ${result.policyPath}\nRecording: ${result.recordingPath}\nSeal key:  ${result.keyPath}\n`,
  );
  process.stdout.write(
    `portcullis verify: ${result.verifyOutput.split('\n').join('\n                   ')}\n\n`,
  );
  const failed = result.steps.filter((s) => !s.ok).length;
  process.stdout.write(
    failed === 0
      ? `All ${result.steps.length} steps behaved as described.\n`
      : `${failed} of ${result.steps.length} steps did NOT behave as described.\n`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
} catch (err) {
  process.stderr.write(
    `the demo could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './scripts/vitest-summary-reporter.js';

const src = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// One root config runs every package's tests against the packages' sources (not dist), so
// `pnpm test` needs no build step. Integration tests (real servers) are named
// `*.integration.test.ts`.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@portcullis\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@portcullis\/core\/vitest$/, replacement: src('./packages/core/src/vitest.ts') },
      { find: /^@portcullis\/pg$/, replacement: src('./packages/adapters-pg/src/index.ts') },
      { find: /^@portcullis\/ssh$/, replacement: src('./packages/adapters-ssh/src/index.ts') },
      { find: /^@portcullis\/k8s$/, replacement: src('./packages/adapters-k8s/src/index.ts') },
      { find: /^@portcullis\/cli$/, replacement: src('./packages/cli/src/index.ts') },
      { find: /^@portcullis\/testing$/, replacement: src('./packages/testing/src/index.ts') },
      { find: /^@portcullis\/conformance$/, replacement: src('./packages/conformance/src/index.ts') },
      { find: /^@portcullis\/approvals$/, replacement: src('./packages/approvals/src/index.ts') },
      { find: /^@portcullis\/mcp$/, replacement: src('./packages/mcp/src/index.ts') },
    ],
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    hookTimeout: 60_000,
    testTimeout: 30_000,
    reporters: ['default', new SummaryReporter()],
  },
});

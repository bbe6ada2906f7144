import type { CommandEntry } from '../lib/command.js';

/**
 * Every subcommand, in the order `portcullis --help` lists them. A command's module is imported
 * only when it runs (or its usage is shown), so `portcullis --help` loads none of them. To add a
 * command, add its module and one line here.
 */
export const commands: readonly CommandEntry[] = [
  {
    name: 'test',
    summary: 'run policy test suites',
    load: async () => (await import('./test.js')).testCommand,
  },
  {
    name: 'check',
    summary: 'one decision, explained',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'whoami',
    summary: 'the principal a token resolves to, or why it is rejected',
    load: async () => (await import('./whoami.js')).whoamiCommand,
  },
  {
    name: 'approvals',
    summary: 'list, show, approve or deny approval requests in a PostgreSQL store',
    load: async () => (await import('./approvals.js')).approvalsCommand,
  },
  {
    name: 'console',
    summary: 'serve the approval console (sign in with the policy’s issuer, approve or deny)',
    load: async () => (await import('./console.js')).consoleCommand,
  },
  {
    name: 'mask',
    summary: 'stdin → stdout with secrets and PII masked, streaming as input arrives',
    load: async () => (await import('./mask.js')).maskCommand,
  },
  {
    name: 'mcp',
    summary: 'run the MCP server: gated targets as tools for any agent (stdio or --http)',
    load: async () => (await import('./mcp.js')).mcpCommand,
  },
  {
    name: 'verify',
    summary: "check a recording's hash chain (and seal); exit 1 if tampered",
    load: async () => (await import('./verify.js')).verifyCommand,
  },
  {
    name: 'replay',
    summary: 'show a recorded session; with --policy, what another policy would decide',
    load: async () => (await import('./replay.js')).replayCommand,
  },
  {
    name: 'recordings',
    summary: 'prune old sessions from a recording, leaving a signed tombstone',
    load: async () => (await import('./recordings.js')).recordingsCommand,
  },
  {
    name: 'schema',
    summary: "print the policy file's JSON Schema",
    load: async () => (await import('./schema.js')).schemaCommand,
  },
  {
    name: 'lint',
    summary: 'validate a policy; warn about rules that can never match or are shadowed',
    load: async () => (await import('./lint.js')).lintCommand,
  },
];

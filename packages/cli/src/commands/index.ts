import type { CommandEntry } from '../lib/command.js';

/**
 * Every subcommand, in the order `portcullis --help` lists them. A command's module is imported
 * only when it runs, and its usage text (a module of its own) only when shown, so
 * `portcullis --help` loads none of them and `portcullis help <command>` only the text. To add a
 * command, add its module and its usage module, and an entry here.
 */
export const commands: readonly CommandEntry[] = [
  {
    name: 'test',
    summary: 'run policy test suites',
    load: async () => (await import('./test.js')).testCommand,
    usage: async () => (await import('./test.usage.js')).usage,
  },
  {
    name: 'check',
    summary: 'one decision, explained',
    load: async () => (await import('./check.js')).checkCommand,
    usage: async () => (await import('./check.usage.js')).usage,
  },
  {
    name: 'whoami',
    summary: 'the principal a token resolves to, or why it is rejected',
    load: async () => (await import('./whoami.js')).whoamiCommand,
    usage: async () => (await import('./whoami.usage.js')).usage,
  },
  {
    name: 'approvals',
    summary: 'list, show, approve or deny approval requests in a PostgreSQL store',
    load: async () => (await import('./approvals.js')).approvalsCommand,
    usage: async () => (await import('./approvals.usage.js')).usage,
  },
  {
    name: 'console',
    summary: 'serve the approval console (sign in with the policy’s issuer, approve or deny)',
    load: async () => (await import('./console.js')).consoleCommand,
    usage: async () => (await import('./console.usage.js')).usage,
  },
  {
    name: 'mask',
    summary: 'stdin → stdout with secrets and PII masked, streaming as input arrives',
    load: async () => (await import('./mask.js')).maskCommand,
    usage: async () => (await import('./mask.usage.js')).usage,
  },
  {
    name: 'mcp',
    summary: 'run the MCP server: gated targets as tools for any agent (stdio or --http)',
    load: async () => (await import('./mcp.js')).mcpCommand,
    usage: async () => (await import('./mcp.usage.js')).usage,
  },
  {
    name: 'verify',
    summary: "check a recording's hash chain (and seal); exit 1 if tampered",
    load: async () => (await import('./verify.js')).verifyCommand,
    usage: async () => (await import('./verify.usage.js')).usage,
  },
  {
    name: 'replay',
    summary: 'show a recorded session; with --policy, what another policy would decide',
    load: async () => (await import('./replay.js')).replayCommand,
    usage: async () => (await import('./replay.usage.js')).usage,
  },
  {
    name: 'recordings',
    summary: 'prune old sessions from a recording, leaving a signed tombstone',
    load: async () => (await import('./recordings.js')).recordingsCommand,
    usage: async () => (await import('./recordings.usage.js')).usage,
  },
  {
    name: 'schema',
    summary: "print the policy file's JSON Schema",
    load: async () => (await import('./schema.js')).schemaCommand,
    usage: async () => (await import('./schema.usage.js')).usage,
  },
  {
    name: 'lint',
    summary: 'validate a policy; warn about rules that can never match or are shadowed',
    load: async () => (await import('./lint.js')).lintCommand,
    usage: async () => (await import('./lint.usage.js')).usage,
  },
];

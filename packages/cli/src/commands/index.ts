import type { Command } from '../lib/command.js';
import { approvalsCommand } from './approvals.js';
import { checkCommand } from './check.js';
import { consoleCommand } from './console.js';
import { lintCommand } from './lint.js';
import { maskCommand } from './mask.js';
import { mcpCommand } from './mcp.js';
import { replayCommand } from './replay.js';
import { schemaCommand } from './schema.js';
import { testCommand } from './test.js';
import { verifyCommand } from './verify.js';
import { whoamiCommand } from './whoami.js';

/** Every subcommand, in the order `portcullis --help` lists them. */
export const commands: readonly Command[] = [
  testCommand,
  checkCommand,
  whoamiCommand,
  approvalsCommand,
  consoleCommand,
  maskCommand,
  mcpCommand,
  verifyCommand,
  replayCommand,
  schemaCommand,
  lintCommand,
];

import type { Command } from '../lib/command.js';
import { approvalsCommand } from './approvals.js';
import { checkCommand } from './check.js';
import { lintCommand } from './lint.js';
import { maskCommand } from './mask.js';
import { recordingsCommand } from './recordings.js';
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
  maskCommand,
  verifyCommand,
  replayCommand,
  recordingsCommand,
  schemaCommand,
  lintCommand,
];

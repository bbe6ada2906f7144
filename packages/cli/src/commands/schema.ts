import { policyJsonSchema } from '@portcullis/core';
import { EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './schema.usage.js';

/** `portcullis schema`: the policy file's JSON Schema. */
export const schemaCommand: Command = {
  name: 'schema',
  usage,
  run(args, io) {
    const { positionals } = parseFlags(args, {}, usage);
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n\n${usage}`);
    writeLine(io.stdout, JSON.stringify(policyJsonSchema(), null, 2));
    return Promise.resolve(EXIT_OK);
  },
};

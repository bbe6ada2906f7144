import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  escapeTerminalText,
  parseDurationSeconds,
  pruneRecordingFile,
  terminalSafeJson,
  type PrunedSession,
} from '@portcullis/core';
import { pruneRecording } from '@portcullis/pg';
import pg from 'pg';
import { EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './recordings.usage.js';

/** `portcullis recordings prune`: retention for recording files and the PostgreSQL sink. */
export const recordingsCommand: Command = {
  name: 'recordings',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        'older-than': { type: 'string' },
        key: { type: 'string' },
        store: { type: 'string' },
        schema: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const [sub, ...files] = positionals;
    if (sub !== 'prune') throw new UsageError(`the only subcommand is prune\n\n${usage}`);
    const olderThan = required(values['older-than'], '--older-than', usage);
    let seconds: number;
    try {
      seconds = parseDurationSeconds(olderThan, '--older-than');
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${usage}`);
    }
    const keyFile = required(values.key, '--key', usage);
    let sealingKey: string;
    try {
      sealingKey = await readFile(path.resolve(io.cwd, keyFile), 'utf8');
    } catch (err) {
      throw new UsageError(`--key ${keyFile}: cannot read: ${(err as Error).message}`);
    }
    const before = new Date(Date.now() - seconds * 1000);
    if ((values.store === undefined) === (files.length !== 1)) {
      throw new UsageError(`name one recording file or --store URL, not both\n\n${usage}`);
    }
    let pruned: readonly PrunedSession[];
    let tombstones: readonly string[];
    let where: string;
    if (values.store !== undefined) {
      if (!/^postgres(ql)?:\/\//.test(values.store))
        throw new UsageError(`--store must be a postgres:// URL\n\n${usage}`);
      const pool = new pg.Pool({ connectionString: values.store, max: 1 });
      pool.on('error', () => undefined);
      try {
        ({ pruned, tombstones } = await pruneRecording(pool, {
          before,
          sealingKey,
          olderThan,
          ...(values.schema === undefined ? {} : { schema: values.schema }),
        }));
      } finally {
        await pool.end();
      }
      where = `${values.schema ?? 'portcullis'}.recording`;
    } else {
      where = files[0] ?? '';
      ({ pruned, tombstones } = await pruneRecordingFile(path.resolve(io.cwd, where), {
        before,
        sealingKey,
        olderThan,
      }));
    }
    if (values.json === true) {
      writeLine(io.stdout, terminalSafeJson({ before: before.toISOString(), pruned, tombstones }, 2));
    } else {
      const events = pruned.reduce((n, p) => n + p.events, 0);
      writeLine(
        io.stdout,
        escapeTerminalText(
          `${where}: pruned ${pruned.length} session(s), ${events} event(s) last active before ${before.toISOString()}` +
            (tombstones.length > 0 ? `; tombstone ${tombstones.join(', ')}` : ''),
        ),
      );
    }
    return EXIT_OK;
  },
};

import path from 'node:path';
import {
  createPortcullis,
  escapeTerminalText,
  formatRedecide,
  formatSession,
  loadPolicyFile,
  readRecording,
  readRecordingFile,
  redecide,
  toAsciicast,
  type RecordedSession,
} from '@portcullis/core';
import { EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './replay.usage.js';

/** `portcullis replay`: show a recorded session, export it, or re-decide it under another policy. */
export const replayCommand: Command = {
  name: 'replay',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { session: { type: 'string' }, format: { type: 'string' }, policy: { type: 'string' } },
      usage,
    );
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError(`name one recording file\n\n${usage}`);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'asciicast')
      throw new UsageError(`--format must be text or asciicast\n\n${usage}`);
    let text: string;
    try {
      text = await readRecordingFile(path.resolve(io.cwd, file));
    } catch (err) {
      throw new UsageError(`${file}: cannot read: ${(err as Error).message}`);
    }
    const { sessions, skipped } = readRecording(text);
    for (const s of skipped)
      writeLine(io.stderr, escapeTerminalText(`${file}:${s.line}: skipped: ${s.reason}`));
    const chosen = pick(sessions, values.session, format === 'asciicast');

    if (format === 'asciicast') {
      for (const session of chosen) io.stdout.write(toAsciicast(session));
      return EXIT_OK;
    }
    const engine =
      values.policy === undefined
        ? undefined
        : await createPortcullis({ policy: await loadPolicyFile(path.resolve(io.cwd, values.policy)) });
    for (const session of chosen) {
      writeLine(io.stdout, formatSession(session));
      if (engine !== undefined) {
        const result = await redecide(session, (input) =>
          engine.decide({ principal: input.principal, target: input.target.name, request: input.request }),
        );
        writeLine(io.stdout, formatRedecide(result));
      }
      writeLine(io.stdout);
    }
    return EXIT_OK;
  },
};

function pick(sessions: readonly RecordedSession[], id: string | undefined, one: boolean): RecordedSession[] {
  if (id !== undefined) {
    const found = sessions.filter((s) => s.session === id || s.session.startsWith(id));
    if (found.length !== 1)
      throw new UsageError(
        found.length === 0
          ? `no session ${id} in the recording`
          : `${id} names several sessions; give more of it`,
      );
    return found;
  }
  if (sessions.length === 0) throw new UsageError('the recording holds no session');
  if (one && sessions.length > 1)
    throw new UsageError(
      `the recording holds ${sessions.length} sessions; name one with --session (${sessions.map((s) => s.session).join(', ')})`,
    );
  return [...sessions];
}

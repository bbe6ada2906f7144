import path from 'node:path';
import { once } from 'node:events';
import {
  createPortcullis,
  createSessionFormatter,
  escapeTerminalText,
  formatRedecide,
  indexRecordingFile,
  loadPolicyFile,
  redecide,
  sessionEventsOfFile,
  streamAsciicast,
  type RecordedSession,
  type RecordEvent,
  type RecordingFileIndex,
  type RecordingFileSession,
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
    const recording = path.resolve(io.cwd, file);
    // Streamed: one pass finds the sessions (reporting lines that are not events as it goes),
    // then each chosen session is read from its part of the file. Memory does not grow with
    // the recording's size.
    let index: RecordingFileIndex;
    try {
      index = await indexRecordingFile(recording, {
        onSkipped: (s) => {
          writeLine(io.stderr, escapeTerminalText(`${file}:${s.line}: skipped: ${s.reason}`));
        },
      });
    } catch (err) {
      throw new UsageError(`${file}: cannot read: ${(err as Error).message}`);
    }
    const chosen = pick(index.sessions, values.session, format === 'asciicast');
    const events = (entry: RecordingFileSession) => () => sessionEventsOfFile(recording, entry);

    if (format === 'asciicast') {
      for (const entry of chosen) {
        for await (const line of streamAsciicast(entry.head, events(entry))) await put(io.stdout, line);
      }
      return EXIT_OK;
    }
    const engine =
      values.policy === undefined
        ? undefined
        : await createPortcullis({ policy: await loadPolicyFile(path.resolve(io.cwd, values.policy)) });
    for (const entry of chosen) {
      const formatter = createSessionFormatter(entry.head);
      // Re-deciding needs only the requests and their recorded decisions (not results or output).
      const decided: RecordEvent[] = [];
      for await (const event of events(entry)()) {
        await put(io.stdout, formatter.add(event));
        if (engine !== undefined && (event.type === 'request' || event.type === 'decision'))
          decided.push(forRedecide(event));
      }
      await put(io.stdout, `${formatter.end()}\n`);
      if (engine !== undefined) {
        const session: RecordedSession = {
          session: entry.session,
          events: decided,
          lines: [],
          ...(entry.head.start === undefined ? {} : { start: entry.head.start }),
        };
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

/** Writes `text`, waiting while the stream's buffer is full. */
async function put(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '' || stream.write(text)) return;
  await once(stream, 'drain');
}

/** A request or decision event with only what re-deciding reads. */
function forRedecide(event: RecordEvent): RecordEvent {
  const data = event.data as Record<string, unknown> | null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return event;
  const keep =
    event.type === 'request'
      ? ['request', 'target', 'actions']
      : ['requestSeq', 'effect', 'rules', 'reasons'];
  const slim: Record<string, unknown> = {};
  for (const key of keep) if (key in data) slim[key] = data[key];
  return { ...event, data: slim };
}

function pick<S extends { readonly session: string }>(
  sessions: readonly S[],
  id: string | undefined,
  one: boolean,
): S[] {
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

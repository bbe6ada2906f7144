import { randomUUID, type KeyObject } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RecordingError } from '../errors.js';
import { lineOf } from './lib/event-text.js';
import { linesOfFile } from './lib/lines-of-file.js';
import { buildTombstones, type PrunedSession } from './tombstone.js';
import { RecordingVerifier } from './verify.js';

/** Options of {@link pruneRecordingFile}. */
export interface PruneOptions {
  /** Prune sessions whose last event was recorded before this instant. */
  readonly before: Date;
  /** The Ed25519 private key the tombstone is sealed with. */
  readonly sealingKey: KeyObject | string;
  /** The retention as written (`90d`), kept in the tombstone. */
  readonly olderThan?: string;
  /** The clock (default `() => new Date()`). */
  readonly now?: () => Date;
}

/** What a prune did. */
export interface PruneResult {
  readonly pruned: readonly PrunedSession[];
  /** Sessions left. */
  readonly kept: number;
  /** The tombstone sessions written (none when nothing was pruned). */
  readonly tombstones: readonly string[];
}

interface SessionSeen {
  events: number;
  lastSeq: number;
  lastHash: string;
  firstTs: string;
  lastTs: string;
}

/**
 * Removes whole sessions whose last event is older than `before` from a JSON Lines recording
 * file, and appends a signed tombstone ({@link buildTombstones}) listing each removed session
 * with its event count and last hash, so the rest still verifies and says what was pruned.
 * The file must verify first (pruning a tampered file would discard the evidence), and no sink
 * may be writing it: the file is rewritten beside itself and renamed over the original.
 *
 * @example
 * ```ts
 * const before = new Date(Date.now() - 90 * 86_400_000);
 * const { pruned } = await pruneRecordingFile('audit.jsonl', { before, sealingKey, olderThan: '90d' });
 * ```
 * @throws RecordingError (rejects) when the file does not verify or cannot be rewritten; the
 *   `fs` error when it cannot be read.
 */
export async function pruneRecordingFile(file: string, options: PruneOptions): Promise<PruneResult> {
  const verifier = new RecordingVerifier({});
  const seen = new Map<string, SessionSeen>();
  for await (const line of linesOfFile(file)) {
    verifier.line(line);
    if (!line.terminated || line.tooLong !== undefined) continue;
    try {
      const e = JSON.parse(line.text) as { session: string; seq: number; ts: string; hash: string };
      const s = seen.get(e.session);
      if (s === undefined) {
        seen.set(e.session, { events: 1, lastSeq: e.seq, lastHash: e.hash, firstTs: e.ts, lastTs: e.ts });
      } else {
        s.events += 1;
        s.lastSeq = e.seq;
        s.lastHash = e.hash;
        s.lastTs = e.ts;
      }
    } catch {
      // The verifier reports it.
    }
  }
  if (verifier.needsSecondPass) for await (const line of linesOfFile(file)) verifier.lineAgain(line);
  const report = verifier.report();
  if (!report.ok) {
    throw new RecordingError(
      `${file} does not verify (${report.problems.length} problem(s), first at line ${report.firstProblem?.line ?? '?'}): ` +
        'refusing to prune it; run `portcullis verify` and keep the file as evidence',
    );
  }
  const cutoff = options.before.getTime();
  const pruned: PrunedSession[] = [];
  for (const [session, s] of seen) {
    if (Date.parse(s.lastTs) < cutoff) pruned.push({ session, ...s });
  }
  if (pruned.length === 0) return { pruned, kept: seen.size, tombstones: [] };

  const tombstone = await buildTombstones(pruned, {
    before: options.before,
    at: (options.now ?? ((): Date => new Date()))(),
    sealingKey: options.sealingKey,
    ...(options.olderThan === undefined ? {} : { olderThan: options.olderThan }),
  });
  const gone = new Set(pruned.map((p) => p.session));
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.prune-${randomUUID()}`);
  const out = await open(temp, 'wx', 0o600);
  try {
    let buffer = '';
    const write = async (text: string): Promise<void> => {
      buffer += text;
      if (buffer.length >= 1 << 20) {
        await out.write(buffer);
        buffer = '';
      }
    };
    for await (const line of linesOfFile(file)) {
      const session = (JSON.parse(line.text) as { session: string }).session;
      if (!gone.has(session)) await write(`${line.text}\n`);
    }
    for (const event of tombstone) await write(`${lineOf(event)}\n`);
    await out.write(buffer);
    await out.datasync();
    await out.close();
    await rename(temp, file);
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw new RecordingError(`pruning ${file} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const tombstones = [...new Set(tombstone.map((e) => e.session))];
  return { pruned, kept: seen.size - pruned.length, tombstones };
}

import { oneLine, safeLines } from './lib/describe.js';
import type { VerifyProblem, VerifyReport } from './verify.js';

/** Options of {@link formatVerifyReport}. */
export interface FormatVerifyReportOptions {
  /** The file name to start each line with. */
  readonly file?: string;
  /** How many problems to list before summarising the rest (default 20). */
  readonly maxProblems?: number;
}

/**
 * Formats a {@link VerifyReport} for people: a first line saying ok or not (and naming the first
 * bad event), then each problem and warning on its own line.
 *
 * @example
 * ```ts
 * console.log(formatVerifyReport(verifyRecording(text), { file: 'audit.jsonl' }));
 * // audit.jsonl: ok: 2 sessions, 41 events (1 sealed, seal verified)
 * ```
 */
export function formatVerifyReport(report: VerifyReport, options: FormatVerifyReportOptions = {}): string {
  const prefix = options.file === undefined ? '' : `${oneLine(options.file)}: `;
  const max = options.maxProblems ?? 20;
  const sealed = report.sessions.filter((s) => s.sealed);
  const verified = sealed.filter((s) => s.sealVerified);
  const sessions = `${report.sessions.length} session${report.sessions.length === 1 ? '' : 's'}`;
  const events = `${report.events} event${report.events === 1 ? '' : 's'}`;
  let seals = '';
  if (sealed.length > 0) {
    seals =
      report.keyId === undefined
        ? ` (${sealed.length} sealed, seals not checked: no public key given)`
        : ` (${sealed.length} sealed, ${verified.length} seal${verified.length === 1 ? '' : 's'} verified with key ${report.keyId})`;
  }
  const out: string[] = [];
  if (report.firstProblem === undefined) {
    out.push(`${prefix}ok: ${sessions}, ${events}${seals}`);
  } else {
    out.push(
      `${prefix}FAILED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}; ` +
        `first bad event: ${locate(report.firstProblem)}; ${sessions}, ${events}${seals}`,
    );
    for (const p of report.problems.slice(0, max))
      out.push(`  ${locate(p)}: ${p.kind}: ${oneLine(p.message)}`);
    if (report.problems.length > max) out.push(`  … and ${report.problems.length - max} more`);
  }
  if (report.omittedProblems !== undefined) out.push(`  … and ${report.omittedProblems} more not kept`);
  for (const w of report.warnings) out.push(`  warning: ${w.kind}: ${oneLine(w.message)}`);
  for (const p of report.pruned ?? []) {
    const check =
      report.keyId === undefined
        ? 'tombstone seal not checked: no public key given'
        : p.verified
          ? 'tombstone seal verified'
          : 'TOMBSTONE DOES NOT VERIFY';
    out.push(
      `  pruned: ${p.sessions} session${p.sessions === 1 ? '' : 's'} (${p.events} events) last active before ${oneLine(p.before)}` +
        `${p.olderThan === undefined ? '' : ` (older than ${oneLine(p.olderThan)})`}, at ${oneLine(p.at)}, by ${oneLine(p.tombstone)}; ${check}`,
    );
  }
  // Session ids and key ids come from the recording: escaped where shown, and guarded here.
  return safeLines(out);
}

function locate(p: VerifyProblem): string {
  const parts = [`line ${p.line}`];
  if (p.session !== undefined) parts.push(`session ${oneLine(p.session)}`);
  if (p.seq !== undefined) parts.push(`seq ${p.seq}`);
  return parts.join(', ');
}

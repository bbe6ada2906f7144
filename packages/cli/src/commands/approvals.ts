import path from 'node:path';
import {
  escapeTerminalText,
  ApprovalError,
  approverMatches,
  createPortcullis,
  boundValueLines,
  grantTerms,
  requestText,
  loadPolicyFile,
  PortcullisError,
  type ApprovalFilter,
  type ApprovalRequest,
  type ApprovalStatus,
  type Principal,
  type Request,
} from '@portcullis/core';
import { createPgApprovalStore, type PgApprovalStore } from '@portcullis/pg';
import pg from 'pg';
import { EXIT_FAILED, EXIT_OK, writeLine, type CliIo } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { readToken } from '../lib/principal-arg.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './approvals.usage.js';

const STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'reserved',
  'denied',
  'consumed',
  'expired',
];

const flags = {
  store: { type: 'string' },
  schema: { type: 'string' },
  status: { type: 'string' },
  subject: { type: 'string' },
  target: { type: 'string' },
  policy: { type: 'string' },
  token: { type: 'string' },
  comment: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof flags>>['values'];

/** `portcullis approvals`: list, show, approve and deny approval requests in a shared store. */
export const approvalsCommand: Command = {
  name: 'approvals',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, flags, usage);
    const [action, ...rest] = positionals;
    if (action === undefined) throw new UsageError(`name an action: list, show, approve or deny\n\n${usage}`);
    const only = (allowed: readonly (keyof Values)[]): void => {
      // parseArgs leaves flags that were not given out of `values`.
      for (const name of Object.keys(values)) {
        if (!allowed.includes(name as keyof Values) && !['store', 'schema', 'json'].includes(name))
          throw new UsageError(`--${name} does not apply to approvals ${action}\n\n${usage}`);
      }
    };
    switch (action) {
      case 'list':
        only(['status', 'subject', 'target']);
        if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}\n\n${usage}`);
        return withStore(values, io, (store) => list(store, values, io));
      case 'show':
        only([]);
        return withStore(values, io, (store) => show(store, oneId(rest), values, io));
      case 'approve':
      case 'deny': {
        only(['policy', 'token', 'comment']);
        const id = oneId(rest);
        const policyFile = required(values.policy, '--policy', usage);
        const tokenArg = required(values.token, '--token', usage);
        return withStore(values, io, (store) => vote(store, action, id, policyFile, tokenArg, values, io));
      }
      default:
        throw new UsageError(`unknown action "${action}": use list, show, approve or deny\n\n${usage}`);
    }
  },
};

function oneId(rest: readonly string[]): string {
  const [id, extra] = rest;
  if (id === undefined || id === '') throw new UsageError(`name the approval id\n\n${usage}`);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}\n\n${usage}`);
  return id;
}

async function withStore(
  values: Values,
  io: CliIo,
  work: (store: PgApprovalStore) => Promise<number>,
): Promise<number> {
  const url = values.store ?? io.env['PORTCULLIS_STORE_URL'];
  if (url === undefined || url === '')
    throw new UsageError(`give the store with --store URL or PORTCULLIS_STORE_URL\n\n${usage}`);
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new UsageError(`--store must be a postgres:// URL (the PostgreSQL approval store)\n\n${usage}`);
  let store: PgApprovalStore;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection cut off by the server must not crash the command; the next query fails.
  pool.on('error', () => undefined);
  try {
    store = createPgApprovalStore(pool, values.schema === undefined ? {} : { schema: values.schema });
  } catch (err) {
    await pool.end();
    throw new UsageError((err as Error).message);
  }
  try {
    return await work(store);
  } catch (err) {
    if (err instanceof PortcullisError) {
      if (values.json === true)
        writeLine(io.stdout, JSON.stringify({ ok: false, code: err.code, message: err.message }, null, 2));
      else writeLine(io.stderr, `portcullis approvals: ${err.code}: ${err.message}`);
      return EXIT_FAILED;
    }
    throw err;
  } finally {
    await store.close();
    await pool.end();
  }
}

async function list(store: PgApprovalStore, values: Values, io: CliIo): Promise<number> {
  const filter: ApprovalFilter = {
    ...statusFilter(values.status),
    ...(values.subject === undefined ? {} : { subject: values.subject }),
    ...(values.target === undefined ? {} : { target: values.target }),
  };
  const found = await store.list(filter, new Date());
  if (values.json === true) {
    writeLine(io.stdout, JSON.stringify({ approvals: found }, null, 2));
    return EXIT_OK;
  }
  if (found.length === 0) {
    writeLine(io.stdout, 'no approval requests match');
    return EXIT_OK;
  }
  const rows = found.map((a) => [
    a.id,
    a.status,
    requesterOf(a),
    a.target,
    clip(oneLine(describeRequest(a.request)), 60),
    `${approvalsOf(a).length}/${Math.max(...grantTerms(a.requirements).needed)}`,
    until(a),
  ]);
  writeLine(io.stdout, table(['ID', 'STATUS', 'REQUESTER', 'TARGET', 'REQUEST', 'VOTES', 'UNTIL'], rows));
  return EXIT_OK;
}

function statusFilter(arg: string | undefined): Pick<ApprovalFilter, 'status'> {
  if (arg === 'all') return {};
  if (arg === undefined) return { status: 'pending' };
  const statuses = arg.split(',').map((s) => s.trim());
  for (const s of statuses) {
    if (!(STATUSES as readonly string[]).includes(s))
      throw new UsageError(`unknown status "${s}": use ${STATUSES.join(', ')} or all`);
  }
  return { status: statuses as ApprovalStatus[] };
}

async function show(store: PgApprovalStore, id: string, values: Values, io: CliIo): Promise<number> {
  const approval = await store.get(id, new Date());
  if (approval === undefined)
    throw new ApprovalError('ERR_APPROVAL_NOT_FOUND', `no approval request ${id}`, id);
  writeLine(io.stdout, values.json === true ? JSON.stringify(approval, null, 2) : describeApproval(approval));
  return EXIT_OK;
}

async function vote(
  store: PgApprovalStore,
  verdict: 'approve' | 'deny',
  id: string,
  policyFile: string,
  tokenArg: string,
  values: Values,
  io: CliIo,
): Promise<number> {
  const policy = await loadPolicyFile(path.resolve(io.cwd, policyFile));
  if (policy.identity === undefined)
    throw new UsageError(
      `${policyFile}: the policy has no identity section, so no approver can prove who they are`,
    );
  const engine = await createPortcullis({ policy, approvals: store });
  // The token is the approver's proof of identity: a principal is never taken from a flag here.
  const approver: Principal = await engine.resolvePrincipal(await readToken(tokenArg, io.cwd, io.stdin));
  const updated =
    verdict === 'approve'
      ? await engine.approvals.approve(id, approver, values.comment)
      : await engine.approvals.deny(id, approver, values.comment);
  if (values.json === true) {
    writeLine(io.stdout, JSON.stringify({ ok: true, approval: updated }, null, 2));
  } else {
    const outcome =
      updated.status === 'pending'
        ? `${approver.subject} approved ${id}; it still needs more approvals`
        : `${id} is now ${updated.status} (${verdict === 'approve' ? 'approved' : 'denied'} by ${approver.subject})`;
    writeLine(io.stdout, `${outcome}\n\n${describeApproval(updated)}`);
  }
  return EXIT_OK;
}

// ---- formatting ----

/** Everything about one request, for a person deciding on it. */
function describeApproval(a: ApprovalRequest): string {
  const lines: string[] = [];
  const field = (name: string, value: string): void => {
    lines.push(`${`${name}:`.padEnd(12)}${value}`);
  };
  field('id', a.id);
  field('status', a.status);
  field('requester', `${requesterOf(a)} (${safe(a.requester.kind)}; groups ${joined(a.requester.groups)})`);
  field('target', safe(a.target));
  field(
    'actions',
    a.actions
      .map((x) => safe(x.resource === undefined ? x.operation : `${x.operation} ${x.resource}`))
      .join(', '),
  );
  field(
    'grant',
    a.grant === 'once'
      ? 'once (this exact request, one time)'
      : 'window (matching requests until it expires)',
  );
  field('created', a.createdAt);
  field(a.status === 'approved' ? 'usable until' : 'expires', until(a));
  if (a.decidedAt !== undefined) field('decided', a.decidedAt);
  if (a.status === 'reserved' && a.reservedAt !== undefined)
    field('reserved', `${a.reservedAt} (by an open transaction)`);
  if (a.consumedAt !== undefined) field('used', a.consumedAt);
  lines.push('request:');
  for (const line of describeRequest(a.request).split('\n')) lines.push(`  ${safe(line)}`);
  if (a.reasons.length > 0) {
    lines.push('why review:');
    for (const reason of a.reasons) lines.push(`  - ${safe(reason)}`);
  }
  lines.push('needs:');
  const { needed } = grantTerms(a.requirements);
  a.requirements.forEach((r, i) => {
    const who = [
      ...(r.approvers.subjects ?? []).map((s) => `subject ${s}`),
      ...(r.approvers.groups ?? []).map((g) => `group ${g}`),
    ];
    const by = approvalsOf(a).filter((v) => approverMatches(r.approvers, v));
    lines.push(
      `  - ${needed[i] ?? 1} of [${safe(who.join(', '))}] (rule ${safe(r.ruleId)}): ${by.length} so far${by.length > 0 ? ` (${by.map((v) => safe(v.subject)).join(', ')})` : ''}`,
    );
  });
  if (a.votes.length > 0) {
    lines.push('votes:');
    for (const v of a.votes)
      lines.push(
        `  - ${v.at} ${safe(v.subject)} ${v.verdict}${v.comment === undefined ? '' : `: ${safe(v.comment)}`}`,
      );
  }
  return lines.join('\n');
}

function approvalsOf(a: ApprovalRequest): ApprovalRequest['votes'] {
  const seen = new Set<string>();
  return a.votes.filter((v) => v.verdict === 'approve' && !seen.has(v.subject) && seen.add(v.subject));
}

function requesterOf(a: ApprovalRequest): string {
  return safe(
    a.actors.length === 0 ? a.requester.subject : `${a.requester.subject} via ${a.actors.join(' → ')}`,
  );
}

function until(a: ApprovalRequest): string {
  return a.status === 'approved' ? (a.grantExpiresAt ?? '') : a.status === 'pending' ? a.expiresAt : '-';
}

/** The request as it will run, its bound values (kept masked by the record) one indented line each. */
function describeRequest(r: Request): string {
  return [requestText(r), ...boundValueLines(r).map((line) => `  ${line}`)].join('\n');
}

function joined(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : safe(items.join(', '));
}

/**
 * Text from the request (written by whoever asked, possibly an agent) is shown to approvers in
 * their terminal: escape control and bidirectional-override characters so it cannot move the
 * cursor, recolour, hide text or reorder what the approver reads.
 */
function safe(text: string): string {
  return escapeTerminalText(text, { multiline: true });
}

function oneLine(text: string): string {
  return safe(text.replace(/\s*\n\s*/g, ' ⏎ ').replace(/\t/g, ' '));
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters as a person counts them (grapheme clusters), for column widths. */
function charsOf(text: string): string[] {
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

function clip(text: string, width: number): string {
  const chars = charsOf(text);
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => charsOf(r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - charsOf(c).length)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

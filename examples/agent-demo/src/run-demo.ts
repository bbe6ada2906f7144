import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '@portcullis/cli';
import {
  createPortcullis,
  createRecorder,
  DeniedError,
  loadPolicyFile,
  PortcullisError,
  ReviewRequiredError,
  type Principal,
} from '@portcullis/core';
import {
  createGatedPool,
  createPgApprovalStore,
  createPgRecordingSink,
  exportRecording,
  migrate,
  type GatedSession,
} from '@portcullis/pg';
import pg from 'pg';
import { parseDocument } from 'yaml';
import { startEmbeddedPostgres } from '@portcullis/testing';
import type { DemoStep } from './format-table.js';
import { startLocalIssuer } from './local-issuer.js';
import { runMcpAct } from './run-mcp-act.js';
import { seedShop, type ShopSecrets } from './seed-shop.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where the run's policy copy and recording go (default: a new folder in the temp directory). */
  readonly outDir?: string;
}

/** What the demo did. */
export interface DemoResult {
  /** Every step, in order, with what was expected and what happened. */
  readonly steps: readonly DemoStep[];
  /** Whether every step behaved as expected. */
  readonly ok: boolean;
  /** The policy the run used (the demo's policy with the local issuer's JWKS added). */
  readonly policyPath: string;
  /** The session recording, exported from PostgreSQL as JSON Lines. */
  readonly recordingPath: string;
  /** The public key the recording is sealed with (PEM), written beside it. */
  readonly keyPath: string;
  /** What `portcullis verify --key` printed for it. */
  readonly verifyOutput: string;
  /** The rows the agent received from `customers`, as it saw them. */
  readonly customersSeen: readonly Record<string, unknown>[];
}

const POLICY_FILE = fileURLToPath(new URL('../portcullis.yaml', import.meta.url));
const UPDATE = "UPDATE customers SET plan = 'enterprise' WHERE id = 2";
const PROBE = 'gate_probe';

/**
 * Runs the whole story once on an embedded database: a local issuer mints tokens for alice (an
 * analyst), an agent acting for alice, and bob (a manager); the agent reads through the gate
 * (masked), asks to change data (held for review), alice cannot approve her own request, bob
 * approves from the command line, the change runs exactly once, a DROP is denied, going around
 * the gate is refused, and the recording verifies. Every step checks its outcome.
 *
 * @example
 * ```ts
 * const { steps, ok } = await runDemo();
 * ```
 * @throws only when the demo cannot set itself up (no loopback port, an unreadable policy);
 * steps that misbehave are reported with `ok: false`.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const steps: DemoStep[] = [];
  const step = (who: string, did: string, expected: string, outcome: string, ok: boolean): void => {
    steps.push({ who, did, expected, outcome, ok });
  };
  const cleanup: (() => Promise<unknown>)[] = [];
  const outDir = options.outDir ?? (await mkdtemp(path.join(tmpdir(), 'portcullis-demo-')));

  try {
    // --- the identity provider and the policy ---
    const doc = parseDocument(await readFile(POLICY_FILE, 'utf8'));
    const idp = await startLocalIssuer({
      issuer: String(doc.getIn(['identity', 'issuer'])),
      audience: String(doc.getIn(['identity', 'audience'])),
    });
    cleanup.push(() => idp.close());
    doc.setIn(['identity', 'jwks'], doc.createNode({ uri: idp.jwksUri }));
    const policyPath = path.join(outDir, 'portcullis.yaml');
    await writeFile(policyPath, doc.toString());
    step(
      'issuer',
      'generates an ES256 key pair, serves its JWKS',
      'JWKS on 127.0.0.1',
      idp.jwksUri,
      idp.jwksUri.startsWith('http://127.0.0.1:'),
    );

    // --- the database, the shared state and the gate ---
    const db = await startEmbeddedPostgres({ maxConnections: 64 });
    cleanup.push(() => db.close());
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined);
    cleanup.push(() => pool.end());
    const secrets = await seedShop(pool);
    // The gate's own state (approvals, recordings) lives in a database of its own, which the
    // gated pool never connects to: the agent cannot read, approve or rewrite it through SQL.
    const stateDb = await startEmbeddedPostgres({ maxConnections: 16 });
    cleanup.push(() => stateDb.close());
    const statePool = new pg.Pool({ connectionString: stateDb.url, max: 4 });
    statePool.on('error', () => undefined);
    cleanup.push(() => statePool.end());
    await migrate(statePool);
    const approvals = createPgApprovalStore(statePool);
    cleanup.push(() => approvals.close());
    const policy = await loadPolicyFile(policyPath);
    // Every session is sealed with this key; the auditor checks the seal with the public half.
    const sealing = generateKeyPairSync('ed25519');
    const keyPath = path.join(outDir, 'recording.key.pub');
    await writeFile(keyPath, sealing.publicKey.export({ type: 'spki', format: 'pem' }));
    const portcullis = await createPortcullis({
      policy,
      approvals,
      recorder: createRecorder({ sink: createPgRecordingSink(statePool), sealingKey: sealing.privateKey }),
    });
    // The gate builds and owns its own pool: nothing it hands out reaches a connection.
    const gated = createGatedPool({
      config: { connectionString: db.url, max: 4 },
      portcullis,
      target: 'shop',
    });
    cleanup.push(() => gated.end());
    const cleanupMark = cleanup.length;
    step(
      'host',
      'loads the policy, seeds the shop, wraps pg in the gate',
      'customers (emails, cards) and api_keys',
      `rules ${policy.ruleIds.join(', ')}; approvals and recording in PostgreSQL`,
      policy.ruleIds.length === 9 && policy.recordingRequired,
    );

    const tokens = {
      alice: await idp.mint('alice', ['analysts']),
      agent: await idp.mint('alice', ['analysts'], 'copilot'),
      bob: await idp.mint('bob', ['managers']),
    };
    const expectations: [keyof typeof tokens, string, string][] = [
      ['alice', 'alice (analyst)', 'alice, human, [analysts]'],
      ['agent', 'copilot acting for alice (RFC 8693 act)', 'alice via copilot, agent, [analysts]'],
      ['bob', 'bob (manager)', 'bob, human, [managers]'],
    ];
    for (const [name, who, expected] of expectations) {
      const seen = await portcullis.resolvePrincipal(tokens[name]).then(describePrincipal, describeError);
      step('issuer', `mints a token for ${who}`, expected, seen, seen === expected);
    }

    // --- the agent at work ---
    const agent = await gated.withToken(tokens.agent);
    const customers = await agent
      .query('SELECT id, name, email, card, plan FROM customers ORDER BY id')
      .catch((e: unknown) => e);
    const customerRows =
      customers instanceof Error ? [] : (customers as { rows: Record<string, unknown>[] }).rows;
    const first = customerRows[0];
    step(
      'agent',
      'SELECT id, name, email, card, plan FROM customers',
      'allowed; emails and card numbers masked',
      customers instanceof Error
        ? describeError(customers)
        : `${customerRows.length} rows; e.g. ${String(first?.['email'])}, ${String(first?.['card'])}`,
      customerRows.length === 3 && !leaks(customerRows, secrets),
    );

    const keys = await agent
      .query<{ name: string; s: string }>('SELECT name, secret AS s FROM api_keys ORDER BY id')
      .catch((e: unknown) => e);
    const keyRows = keys instanceof Error ? [] : (keys as { rows: { name: string; s: string }[] }).rows;
    step(
      'agent',
      'SELECT name, secret AS s FROM api_keys',
      'allowed; keys masked (by source column, despite the alias)',
      keys instanceof Error ? describeError(keys) : keyRows.map((r) => `${r.name}=${r.s}`).join(', '),
      keyRows.length === 2 && !leaks(keyRows, secrets),
    );

    const held = await agent.query(UPDATE).catch((e: unknown) => e);
    const approvalId = held instanceof ReviewRequiredError ? held.approvalId : '';
    step(
      'agent',
      UPDATE,
      'held for review (ERR_REVIEW_REQUIRED)',
      held instanceof ReviewRequiredError ? `${held.code}; approval ${approvalId}` : describeOutcome(held),
      held instanceof ReviewRequiredError && held.code === 'ERR_REVIEW_REQUIRED',
    );

    // --- approvals, from the command line, identity proven by token ---
    const approveAs = (id: string, token: string) =>
      cli(
        ['approvals', 'approve', id, '--store', stateDb.url, '--policy', policyPath, '--token', token],
        outDir,
      );
    const approve = (token: string) => approveAs(approvalId, token);
    const self = await approve(tokens.alice);
    step(
      'alice',
      'portcullis approvals approve <id> --token <alice>',
      'refused: her own request (exit 1)',
      `exit ${self.code}: ${lastLine(self.stderr)}`,
      self.code === 1 && self.stderr.includes('alice cannot approve their own request'),
    );
    const viaAgent = await approve(tokens.agent);
    step(
      'agent',
      'portcullis approvals approve <id> --token <agent>',
      'refused: not through an agent (exit 1)',
      `exit ${viaAgent.code}: ${lastLine(viaAgent.stderr)}`,
      viaAgent.code === 1 && viaAgent.stderr.includes('cannot approve through an agent'),
    );
    const byBob = await approve(tokens.bob);
    step(
      'bob',
      'portcullis approvals approve <id> --token <bob>',
      'approved (exit 0)',
      `exit ${byBob.code}: ${byBob.stdout.split('\n')[0] ?? ''}`,
      byBob.code === 0 && byBob.stdout.includes('is now approved'),
    );

    const ran = await agent.query(UPDATE).catch((e: unknown) => e);
    const plan = await scalar(pool, 'SELECT plan FROM customers WHERE id = 2');
    step(
      'agent',
      'runs the exact UPDATE again',
      'runs once: 1 row',
      ran instanceof Error
        ? describeError(ran)
        : `UPDATE ${String((ran as { rowCount: number }).rowCount)}; plan is now ${plan}`,
      !(ran instanceof Error) && (ran as { rowCount: number }).rowCount === 1 && plan === 'enterprise',
    );

    const again = await agent.query(UPDATE).catch((e: unknown) => e);
    step(
      'agent',
      'runs the same UPDATE once more',
      'held again: each approval runs once',
      again instanceof ReviewRequiredError
        ? `${again.code}; new approval ${again.approvalId}`
        : describeOutcome(again),
      again instanceof ReviewRequiredError && again.approvalId !== approvalId,
    );

    const drop = await agent.query('DROP TABLE customers').catch((e: unknown) => e);
    step(
      'agent',
      'DROP TABLE customers',
      'denied (ERR_DENIED)',
      drop instanceof DeniedError
        ? `${drop.code}: ${drop.decision.reasons.join('; ')}`
        : describeOutcome(drop),
      drop instanceof DeniedError,
    );

    // --- going around the gate ---
    const captured = await aroundTheGate(agent);
    const rowsAfter = await scalar(pool, 'SELECT count(*)::text FROM customers');
    step(
      'agent',
      'patches pg to grab the gate’s connection, sends DROP TABLE customers on it',
      'refused (ERR_BYPASS); connection destroyed',
      `${describeOutcome(captured)}; customers still has ${rowsAfter} rows`,
      captured instanceof PortcullisError && captured.code === 'ERR_BYPASS' && rowsAfter === '3',
    );
    const submittable = await Promise.resolve()
      .then(() =>
        agent.query({
          submit(connection: { query(text: string): void }) {
            connection.query('DROP TABLE customers');
          },
        } as never),
      )
      .catch((e: unknown) => e);
    const rowsAfterSubmit = await scalar(pool, 'SELECT count(*)::text FROM customers');
    step(
      'agent',
      'hands the gate a raw Submittable (connection access)',
      'refused; nothing sent',
      `${describeOutcome(submittable)}; customers still has ${rowsAfterSubmit} rows`,
      submittable instanceof Error && rowsAfterSubmit === '3',
    );

    // --- act two: the same agent through MCP, on the database, an SSH host and a cluster ---
    const agentPrincipal = await portcullis.resolvePrincipal(tokens.agent);
    const act = await runMcpAct({
      portcullis,
      agent: agentPrincipal,
      shop: gated,
      cleanup,
      approve: async (id) => (await approveAs(id, tokens.bob)).code === 0,
    });
    steps.push(...act.steps);

    // --- the record ---
    await agent.end();
    for (const close of cleanup.splice(cleanupMark).reverse()) await close().catch(() => undefined);
    const recordingPath = path.join(outDir, 'recording.jsonl');
    const recording = await exportRecording(statePool);
    await writeFile(recordingPath, recording);
    const verify = await cli(['verify', '--key', keyPath, recordingPath], outDir);
    step(
      'auditor',
      'portcullis verify --key recording.key.pub recording.jsonl (exported from PostgreSQL)',
      'intact and sealed with the demo’s key (exit 0)',
      `exit ${verify.code}: ${verify.stdout.split('\n')[0] ?? ''}`,
      verify.code === 0,
    );
    step(
      'auditor',
      'searches the recording for the emails, cards and keys',
      'none found: it holds what the agent saw',
      leaks(recording, secrets) || act.planted.some((p) => recording.includes(p))
        ? 'a secret is in the recording'
        : `none in ${recording.split('\n').length - 1} events`,
      !leaks(recording, secrets) && !act.planted.some((p) => recording.includes(p)),
    );

    return {
      steps,
      ok: steps.every((s) => s.ok),
      policyPath,
      recordingPath,
      keyPath,
      verifyOutput: verify.stdout.trimEnd(),
      customersSeen: customerRows,
    };
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => undefined);
  }
}

/**
 * What an agent running in the host's process might try: catch the gate's own `pg` client by
 * patching the driver's prototype during an allowed query, then send SQL on it directly.
 */
async function aroundTheGate(session: GatedSession): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the attack needs the bare method
  const original = pg.Client.prototype.query;
  const grabbed: pg.Client[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    // Only the connection that runs the probe is the gate's; the host's own pools (the
    // approval store's, the recording's) use the same class.
    const [first] = args;
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
    if (typeof text === 'string' && text.includes(PROBE)) grabbed.push(this);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await session.query(`SELECT 1 AS ${PROBE}`);
  } finally {
    pg.Client.prototype.query = original;
  }
  const client = grabbed[0];
  if (client === undefined) return new Error('the gate never used pg.Client.prototype.query');
  return client.query('DROP TABLE customers').then(
    () => 'the DROP ran',
    (e: unknown) => e,
  );
}

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `portcullis ARGS` in this process (the same code as the `portcullis` binary). */
async function cli(args: readonly string[], cwd: string): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from(['']), cwd, env: {} });
  return { code, stdout: out, stderr: err };
}

async function scalar(pool: pg.Pool, sql: string): Promise<string> {
  const { rows } = await pool.query<Record<string, unknown>>(sql);
  return String(Object.values(rows[0] ?? {})[0]);
}

function leaks(value: unknown, secrets: ShopSecrets): boolean {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return [...secrets.emails, ...secrets.cards, ...secrets.apiKeys].some((s) => text.includes(s));
}

function describePrincipal(p: Principal): string {
  const who = p.actor === undefined ? p.subject : `${p.subject} via ${p.actor}`;
  return `${who}, ${p.kind}, [${p.groups.join(', ')}]`;
}

function describeError(err: unknown): string {
  if (err instanceof PortcullisError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function describeOutcome(outcome: unknown): string {
  if (outcome instanceof Error) return describeError(outcome);
  return `it ran (${typeof outcome === 'string' ? outcome : 'a result came back'})`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').replace(/^portcullis approvals: /, '');
}

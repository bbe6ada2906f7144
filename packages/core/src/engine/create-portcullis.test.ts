import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryApprovalStore } from '../approvals/memory-store.js';
import type { ApprovalStore } from '../approvals/types.js';
import {
  ApprovalError,
  DeniedError,
  PortcullisError,
  RecordingError,
  ReviewRequiredError,
  TokenError,
} from '../errors.js';
import { parsePolicy } from '../policy/load-policy.js';
import { createRecorder } from '../record/create-recorder.js';
import { createMemorySink } from '../record/memory-sink.js';
import type { Principal, Recorder, Request, SessionRecorder } from '../types.js';
import { createPortcullis } from './create-portcullis.js';
import type { AuthorizeInput, Portcullis, PortcullisOptions } from './types.js';

const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
  audited: { protocol: postgres }
  bastion: { protocol: ssh }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse, audited], operations: [select] }
    mask: default
  - id: analysts-write-needs-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [insert, update, delete] }
    review:
      approvers: { groups: [managers] }
      minApprovals: 1
      ttl: 30m
    reason: Writes to the warehouse need a manager
  - id: audited-reads-are-recorded
    effect: allow
    when: { targets: [audited], operations: [select] }
    record: true
  - id: restarts-need-sre
    effect: review
    when: { groups: [analysts], targets: [bastion], operations: [exec], resources: ["systemctl restart *"] }
    review: { approvers: { groups: [sre] }, ttl: 10m, grant: window }
  - id: no-destructive-ddl
    effect: deny
    when: { targets: ["*"], operations: [drop, truncate] }
    reason: Destructive DDL is never allowed
masking:
  profiles:
    default: { detectors: [secrets] }
`;

const T0 = new Date('2030-01-01T00:00:00.000Z');
const MIN = 60_000;

const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const aliceViaCopilot: Principal = { ...alice, kind: 'agent', actor: 'copilot' };
const bob: Principal = { subject: 'bob', groups: ['managers', 'sre'], kind: 'human' };
const carol: Principal = { subject: 'carol', groups: ['managers'], kind: 'human' };

const sql = (text: string): Request => ({ type: 'sql', sql: text });

let clock: Date;
const now = (): Date => clock;
const policy = parsePolicy(POLICY, { file: 'portcullis.yaml' });

async function make(options: Partial<PortcullisOptions> = {}): Promise<Portcullis> {
  return createPortcullis({ policy, now, ...options });
}

async function caught(promise: Promise<unknown>): Promise<PortcullisError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PortcullisError) return err;
    throw err;
  }
  throw new Error('expected a Portcullis error');
}

async function caughtAs<E extends PortcullisError>(
  promise: Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await caught(promise);
  if (err instanceof kind) return err;
  throw new Error(`expected ${kind.name}, got ${err.name}: ${err.message}`);
}

const pending = (promise: Promise<unknown>): Promise<ReviewRequiredError> =>
  caughtAs(promise, ReviewRequiredError);
const refused = (promise: Promise<unknown>): Promise<DeniedError> => caughtAs(promise, DeniedError);

const ask = (p: Portcullis, request: Request, extra: Partial<AuthorizeInput> = {}) =>
  p.authorize({ principal: alice, target: 'warehouse', request, ...extra });

beforeAll(() => {
  clock = T0;
});
afterEach(() => {
  clock = T0;
});

describe('createPortcullis: decisions end to end', () => {
  it('denies over review over allow', async () => {
    const p = await make();
    const denied = await refused(ask(p, sql('SELECT * FROM orders; DELETE FROM orders; DROP TABLE orders')));
    expect(denied.message).toBe('DROP on warehouse is denied: Destructive DDL is never allowed');
    expect(denied.decision.rules).toEqual(['no-destructive-ddl']);

    const review = await pending(ask(p, sql('SELECT * FROM orders; DELETE FROM orders WHERE id = 1')));
    const id = review.approvalId;
    expect(review.code).toBe('ERR_REVIEW_REQUIRED');
    expect(review.message).toBe(
      `DELETE on warehouse needs approval by one of [managers] (Writes to the warehouse need a manager); approval id ${id}; run \`portcullis approvals approve ${id}\`, then run the request again`,
    );

    const allowed = await ask(p, sql('SELECT * FROM orders'));
    expect(allowed).toMatchObject({
      mask: 'default',
      actions: [{ operation: 'select', resource: 'orders' }],
    });
    expect(allowed.decision.effect).toBe('allow');
    expect(allowed.approvalId).toBeUndefined();
  });

  it('denies what no rule allows, unknown targets and requests of the wrong protocol', async () => {
    const p = await make();
    const cases: [AuthorizeInput, string][] = [
      [
        { principal: alice, target: 'warehouse', request: sql('SELECT nextval($$s$$)') },
        'FUNCTION on warehouse is denied: no rule allows function nextval on warehouse',
      ],
      [
        { principal: alice, target: 'warehuose', request: sql('SELECT 1') },
        'the request on warehuose is denied: unknown target "warehuose"; the policy names "warehouse", "audited", "bastion"',
      ],
      [
        { principal: alice, target: 'bastion', request: sql('SELECT 1') },
        'the request on bastion is denied: a sql request cannot go to "bastion", a ssh target',
      ],
      [
        { principal: alice, target: 'warehouse', request: sql('SELEC 1') },
        'UNKNOWN on warehouse is denied: no rule allows unknown on warehouse',
      ],
    ];
    for (const [input, message] of cases) {
      const err = await caught(p.authorize(input));
      expect(err).toBeInstanceOf(DeniedError);
      expect(err.message).toBe(message);
    }
  });

  it('denies when the classifier throws, with the cause chained', async () => {
    const boom = new Error('grammar exploded');
    const p = await make({
      classify: () => {
        throw boom;
      },
    });
    const err = await caught(ask(p, sql('SELECT 1')));
    expect(err).toBeInstanceOf(DeniedError);
    expect(err.message).toBe(
      'the request on warehouse is denied: the request could not be classified (grammar exploded); nothing ran',
    );
    expect(err.cause).toBe(boom);
    expect(p.decide({ principal: alice, target: 'warehouse', request: sql('SELECT 1') })).toMatchObject({
      effect: 'deny',
      reasons: ['the request could not be classified (grammar exploded); nothing ran'],
    });
  });

  it('decides an empty action list as unknown', async () => {
    const p = await make({ classify: () => [] });
    expect(p.decide({ principal: alice, target: 'warehouse', request: sql('') })).toMatchObject({
      effect: 'deny',
      actions: [{ action: { operation: 'unknown' }, effect: 'deny' }],
    });
  });

  it('decide has no side effects', async () => {
    const p = await make();
    const decision = p.decide({ principal: alice, target: 'warehouse', request: sql('DELETE FROM t') });
    expect(decision.effect).toBe('review');
    expect(decision.review?.map((r) => r.ruleId)).toEqual(['analysts-write-needs-manager']);
    expect(await p.approvals.list()).toEqual([]);
  });

  it('denies a principal whose credential has expired', async () => {
    const p = await make();
    const stale: Principal = { ...alice, expiresAt: T0.getTime() / 1000 };
    const err = await caught(
      p.authorize({ principal: stale, target: 'warehouse', request: sql('SELECT * FROM t') }),
    );
    expect(err.message).toBe(
      'SELECT on warehouse is denied: the credential of alice expired at 2030-01-01T00:00:00.000Z; resolve a fresh token',
    );
  });

  it('refuses malformed input with a TypeError', async () => {
    const p = await make();
    await expect(
      p.authorize({ principal: alice, target: 'warehouse' } as unknown as AuthorizeInput),
    ).rejects.toThrow(TypeError);
    await expect(ask(p, sql('SELECT 1'), { review: { mode: 'later' } as never })).rejects.toThrow(TypeError);
    await expect(createPortcullis({ policy: {} as never })).rejects.toThrow(TypeError);
    await expect(createPortcullis({ policy, pendingTtlMs: 0 })).rejects.toThrow(TypeError);
  });
});

describe('createPortcullis: approvals', () => {
  it('defers, is approved, runs once, and the repeat needs a new approval', async () => {
    const p = await make();
    const request = sql('DELETE FROM orders WHERE id = 1');
    const first = await pending(ask(p, request));
    // asking again before approval finds the same pending request
    expect((await pending(ask(p, request))).approvalId).toBe(first.approvalId);

    const approved = await p.approvals.approve(first.approvalId, bob, 'ok once');
    expect(approved.status).toBe('approved');
    // a request differing by one character is not covered
    expect(await caught(ask(p, sql('DELETE FROM orders WHERE id = 2')))).toBeInstanceOf(ReviewRequiredError);

    const ran = await ask(p, request);
    expect(ran.approvalId).toBe(first.approvalId);
    // no allow rule for DELETE names a mask and the policy sets no masking.default
    expect(ran).not.toHaveProperty('mask');
    expect(ran.decision.effect).toBe('review');
    expect((await p.approvals.get(first.approvalId))?.status).toBe('consumed');

    const again = await pending(ask(p, request));
    expect(again).toBeInstanceOf(ReviewRequiredError);
    expect(again.approvalId).not.toBe(first.approvalId);
  });

  it('refuses self-approval, approval by the requesting agent and through an agent', async () => {
    const p = await make();
    const held = await pending(
      p.authorize({ principal: aliceViaCopilot, target: 'warehouse', request: sql('DELETE FROM t') }),
    );
    const attempts: Principal[] = [
      { ...alice, groups: ['managers'] },
      { subject: 'copilot', groups: ['managers'], kind: 'human' },
      { ...carol, kind: 'agent', actor: 'carol-bot' },
      { subject: 'eve', groups: ['analysts'], kind: 'human' },
    ];
    for (const approver of attempts) {
      const err = await caught(p.approvals.approve(held.approvalId, approver));
      expect(err).toBeInstanceOf(ApprovalError);
      expect(err.code).toBe('ERR_APPROVAL_FORBIDDEN');
    }
    expect((await p.approvals.get(held.approvalId))?.status).toBe('pending');
    expect(await p.approvals.list({ status: 'pending', subject: 'alice' })).toHaveLength(1);
  });

  it('refuses an approval after its grant expired', async () => {
    const p = await make();
    const request = sql('DELETE FROM t');
    const { approvalId } = await pending(ask(p, request));
    await p.approvals.approve(approvalId, bob);
    clock = new Date(T0.getTime() + 30 * MIN);
    const err = await pending(ask(p, request));
    expect(err).toBeInstanceOf(ReviewRequiredError);
    expect(err.approvalId).not.toBe(approvalId);
    expect((await p.approvals.get(approvalId))?.status).toBe('expired');
  });

  it('cannot approve a pending request after it expired', async () => {
    const p = await make({ pendingTtlMs: 5 * MIN });
    const { approvalId } = await pending(ask(p, sql('DELETE FROM t')));
    clock = new Date(T0.getTime() + 5 * MIN);
    const err = await caught(p.approvals.approve(approvalId, bob));
    expect(err.code).toBe('ERR_APPROVAL_EXPIRED');
  });

  it('lets exactly one of 100 concurrent identical requests use a once grant', async () => {
    const p = await make();
    const request = sql('UPDATE orders SET paid = true WHERE id = 9');
    const { approvalId } = await pending(ask(p, request));
    await p.approvals.approve(approvalId, carol);
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => ask(p, request)));
    const ran = results.filter((r) => r.status === 'fulfilled');
    expect(ran).toHaveLength(1);
    const rest = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rest.every((r) => r.reason instanceof ReviewRequiredError)).toBe(true);
  });

  it('lets a window grant cover the same rule for the same principal until it expires', async () => {
    const p = await make();
    const restart = (service: string, principal: Principal = alice) =>
      p.authorize({
        principal,
        target: 'bastion',
        request: { type: 'command', command: `systemctl restart ${service}` },
      });
    const { approvalId } = await pending(restart('nginx'));
    await p.approvals.approve(approvalId, bob);
    expect((await restart('nginx')).approvalId).toBe(approvalId);
    expect((await restart('redis')).approvalId).toBe(approvalId);
    expect((await restart('redis')).approvalId).toBe(approvalId);
    expect(await caught(restart('redis', aliceViaCopilot))).toBeInstanceOf(ReviewRequiredError);
    clock = new Date(T0.getTime() + 10 * MIN);
    expect(await caught(restart('redis'))).toBeInstanceOf(ReviewRequiredError);
  });

  it('wait mode wakes on approval and runs', async () => {
    const store = createMemoryApprovalStore();
    const p = await make({ approvals: store });
    store.subscribe((change) => {
      if (change.type === 'created') {
        p.approvals.approve(change.approval.id, bob).catch((err: unknown) => {
          throw err;
        });
      }
    });
    const ran = await ask(p, sql('DELETE FROM t'), { review: { mode: 'wait', timeoutMs: 10_000 } });
    expect(ran.approvalId).toBeDefined();
    expect((await p.approvals.get(ran.approvalId!))?.status).toBe('consumed');
  });

  it('wait mode ends in a DeniedError when an approver denies', async () => {
    const store = createMemoryApprovalStore();
    const p = await make({ approvals: store });
    store.subscribe((change) => {
      if (change.type === 'created') {
        p.approvals.deny(change.approval.id, carol, 'not during the freeze').catch((err: unknown) => {
          throw err;
        });
      }
    });
    const err = await refused(ask(p, sql('DELETE FROM t'), { review: { mode: 'wait', timeoutMs: 10_000 } }));
    expect(err.message).toMatch(
      /^DELETE on warehouse is denied: carol denied approval [0-9a-f-]{36}: not during the freeze$/,
    );
    expect(err.decision.effect).toBe('deny');
  });

  it('wait mode times out with ERR_REVIEW_TIMEOUT and the approval stays pending', async () => {
    const p = await make();
    const err = await pending(ask(p, sql('DELETE FROM t'), { review: { mode: 'wait', timeoutMs: 5 } }));
    expect(err).toBeInstanceOf(ReviewRequiredError);
    expect(err.code).toBe('ERR_REVIEW_TIMEOUT');
    expect(err.message).toContain(`approval id ${err.approvalId} stays pending`);
    expect((await p.approvals.get(err.approvalId))?.status).toBe('pending');
  });

  it('wait mode stops when the caller aborts', async () => {
    const p = await make();
    const controller = new AbortController();
    const waiting = pending(
      ask(p, sql('DELETE FROM t'), { review: { mode: 'wait', signal: controller.signal } }),
    );
    setTimeout(() => {
      controller.abort(new Error('client went away'));
    }, 1);
    const err = await waiting;
    expect(err.code).toBe('ERR_REVIEW_REQUIRED');
    expect(err.cause).toEqual(new Error('client went away'));
  });

  it('denies when the approval store fails, with ERR_APPROVAL_STORE as the cause', async () => {
    const down = new Error('connection refused');
    const broken: ApprovalStore = {
      ...createMemoryApprovalStore(),
      consume: () => Promise.reject(down),
    };
    const p = await make({ approvals: broken });
    const err = await caught(ask(p, sql('DELETE FROM t')));
    expect(err).toBeInstanceOf(DeniedError);
    expect(err.message).toBe(
      'DELETE on warehouse is denied: the approval store failed (connection refused); nothing ran — check the approval store and try again',
    );
    expect(err.cause).toBeInstanceOf(ApprovalError);
    expect((err.cause as ApprovalError).code).toBe('ERR_APPROVAL_STORE');
    expect((err.cause as ApprovalError).cause).toBe(down);

    const failingVotes: ApprovalStore = { ...createMemoryApprovalStore(), vote: () => Promise.reject(down) };
    const q = await make({ approvals: failingVotes });
    const voteErr = await caught(q.approvals.approve('x', bob));
    expect(voteErr.code).toBe('ERR_APPROVAL_STORE');
    expect(voteErr.cause).toBe(down);
  });
});

describe('createPortcullis: recording', () => {
  function failingRecorder(): Recorder {
    const session: SessionRecorder = {
      session: 's1',
      record: () => Promise.reject(new Error('disk full')),
      end: () => Promise.reject(new Error('disk full')),
    };
    return { start: () => Promise.resolve(session) };
  }

  it('records request, decision and the approval used, and returns the request seq', async () => {
    const sink = createMemorySink();
    const p = await make({ recorder: createRecorder({ sink, now }) });
    const session = await p.startSession(alice, 'warehouse');
    const request = sql('DELETE FROM t');
    const { approvalId } = await pending(ask(p, request, { session: session! }));
    await p.approvals.approve(approvalId, bob);
    const ran = await ask(p, request, { session: session! });
    expect(sink.events.map((e) => e.type)).toEqual([
      'session.start',
      'request',
      'decision',
      'approval',
      'error',
      'request',
      'decision',
      'approval',
    ]);
    const events = sink.events;
    expect(events[1]!.data).toEqual({ request, actions: [{ operation: 'delete', resource: 't' }] });
    expect(events[3]!.data).toEqual({ requestSeq: 1, approvalId, status: 'pending' });
    expect(events[4]!.data).toMatchObject({ requestSeq: 1, code: 'ERR_REVIEW_REQUIRED' });
    expect(ran.requestSeq).toBe(5);
    expect(events[6]!.data).toMatchObject({ requestSeq: 5, effect: 'review' });
    expect(events[7]!.data).toEqual({ requestSeq: 5, approvalId, status: 'used', by: ['bob'] });
  });

  it('records denials: by policy, and by an approver while waiting', async () => {
    const sink = createMemorySink();
    const store = createMemoryApprovalStore();
    const p = await make({ recorder: createRecorder({ sink, now }), approvals: store });
    store.subscribe((change) => {
      if (change.type === 'created') {
        p.approvals.deny(change.approval.id, carol, 'no').catch((err: unknown) => {
          throw err;
        });
      }
    });
    const session = (await p.startSession(alice, 'warehouse'))!;
    await refused(ask(p, sql('DROP TABLE t'), { session }));
    const err = await refused(
      ask(p, sql('DELETE FROM t'), { session, review: { mode: 'wait', timeoutMs: 10_000 } }),
    );
    expect(sink.events.map((e) => e.type)).toEqual([
      'session.start',
      'request',
      'decision',
      'error',
      'request',
      'decision',
      'approval',
      'approval',
      'error',
    ]);
    expect(sink.events[3]!.data).toEqual({
      requestSeq: 1,
      code: 'ERR_DENIED',
      message: 'DROP on warehouse is denied: Destructive DDL is never allowed',
    });
    expect(sink.events[7]!.data).toMatchObject({
      requestSeq: 4,
      status: 'denied',
      by: ['carol'],
      comment: 'no',
    });
    expect(sink.events[8]!.data).toEqual({ requestSeq: 4, code: 'ERR_DENIED', message: err.message });
  });

  it('names the target in request events only when the session is for another one', async () => {
    const sink = createMemorySink();
    const p = await make({ recorder: createRecorder({ sink, now }) });
    const session = (await p.startSession(alice, 'audited'))!;
    await ask(p, sql('SELECT * FROM t'), { session });
    expect(sink.events[1]!.data).toMatchObject({ target: { name: 'warehouse', protocol: 'postgres' } });
    await p.authorize({ principal: alice, target: 'audited', request: sql('SELECT * FROM t'), session });
    expect(sink.events.at(-2)!.data).not.toHaveProperty('target');
  });

  it('denies when recording is required and fails; allows when it is not required', async () => {
    const p = await make({ recorder: failingRecorder() });
    const session = (await p.startSession(alice, 'audited'))!;
    const err = await caught(
      p.authorize({ principal: alice, target: 'audited', request: sql('SELECT * FROM t'), session }),
    );
    expect(err).toBeInstanceOf(DeniedError);
    expect(err.message).toBe(
      'SELECT on audited is denied: recording is required and the request could not be recorded (the request event could not be recorded: disk full); nothing ran',
    );
    expect(err.cause).toBeInstanceOf(RecordingError);

    const allowed = await ask(p, sql('SELECT * FROM t'), { session });
    expect(allowed.decision.effect).toBe('allow');
    expect(allowed.requestSeq).toBeUndefined();
  });

  it('denies when recording is required and no session is given', async () => {
    const p = await make();
    expect(await p.startSession(alice, 'audited')).toBeUndefined();
    const err = await caught(
      p.authorize({ principal: alice, target: 'audited', request: sql('SELECT * FROM t') }),
    );
    expect(err.message).toBe(
      'SELECT on audited is denied: recording is required for audited and no recording session was given; configure a recorder and pass the session from startSession()',
    );
  });

  it('wraps recorder failures at session start in a RecordingError', async () => {
    const p = await make({ recorder: { start: () => Promise.reject(new Error('disk full')) } });
    const err = await caught(p.startSession(alice, 'warehouse'));
    expect(err).toBeInstanceOf(RecordingError);
    await expect(p.startSession(alice, 'nowhere')).rejects.toThrow(TypeError);
  });
});

describe('createPortcullis: identity', () => {
  it('needs an identity to resolve tokens', async () => {
    const p = await make();
    await expect(p.resolvePrincipal('x')).rejects.toThrow(TypeError);
  });

  it('resolves tokens with the policy identity section by default, on the engine clock', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const withIdentity = parsePolicy(
      `version: 1
identity: { issuer: https://idp.test/, audience: portcullis, jwks: { keys: [${JSON.stringify(jwk)}] } }
targets: { warehouse: { protocol: postgres } }
`,
    );
    const iat = T0.getTime() / 1000;
    const token = await new SignJWT({ groups: ['analysts'], act: { sub: 'copilot' } })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('alice')
      .setIssuer('https://idp.test/')
      .setAudience('portcullis')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(privateKey);
    const p = await make({ policy: withIdentity });
    expect(await p.resolvePrincipal(token)).toMatchObject({
      subject: 'alice',
      actor: 'copilot',
      kind: 'agent',
    });
    clock = new Date(T0.getTime() + 3_600_000);
    expect((await caught(p.resolvePrincipal(token))).code).toBe('ERR_TOKEN_EXPIRED');
  });

  it('passes TokenErrors through and turns other failures into ERR_TOKEN_INVALID', async () => {
    const rejected = new TokenError('ERR_TOKEN_EXPIRED', 'the token expired');
    const p = await make({ identity: { resolve: () => Promise.reject(rejected) } });
    expect(await caught(p.resolvePrincipal('x'))).toBe(rejected);
    const q = await make({ identity: { resolve: () => Promise.reject(new Error('bug')) } });
    const err = await caught(q.resolvePrincipal('x'));
    expect(err.code).toBe('ERR_TOKEN_INVALID');
    const r = await make({ identity: { resolve: () => Promise.resolve(alice) } });
    expect(await r.resolvePrincipal('x')).toBe(alice);
  });
});

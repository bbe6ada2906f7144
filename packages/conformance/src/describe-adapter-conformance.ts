import {
  createMemoryApprovalStore,
  createRecorder,
  PortcullisError,
  verifyRecording,
  type ApprovalStore,
  type Portcullis,
  type RecordEvent,
} from '@portcullis/core';
import { afterEach, describe, expect, it } from 'vitest';
import { failingStore, switchableSink, type SwitchableSink } from './lib/failing.js';
import { plantOnPrototypes } from './lib/plant.js';
import { findLeaks, inspectDeep } from './find-leaks.js';
import { reachable } from './reachable.js';
import type {
  ConformanceCaller,
  ConformanceFactory,
  ConformanceOptions,
  ConformanceSubject,
} from './types.js';

const WAIT = { mode: 'wait', timeoutMs: 20_000 } as const;
const CAPS = Object.freeze({ maxRows: 50, maxBytes: 1024 * 1024, maxDurationMs: 60_000 });

// JavaScript's own prototypes: the only ones a caller's handle may reach (SPEC §8, §9).
const INTRINSIC: ReadonlySet<unknown> = new Set([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  Promise.prototype,
  Error.prototype,
  TypeError.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  Uint8Array.prototype,
  Object.getPrototypeOf(Uint8Array.prototype),
  // The prototype every `async` function has: still JavaScript's own, not the adapter's.
  Object.getPrototypeOf(async () => {
    await Promise.resolve();
  }) as unknown,
  null,
]);
const DEFER = { mode: 'defer' } as const;
const LANGUAGE_NAMES: ReadonlySet<string | symbol> = new Set([
  'get',
  'set',
  'value',
  'writable',
  'enumerable',
  'configurable',
  'then',
  'toJSON',
]);

/**
 * Registers the adapter conformance suite (SPEC.md §8) as vitest tests in the calling test file.
 * Every adapter runs it: requests on one handle keep their order while one waits for approval;
 * a failing approval store or recording sink denies and nothing runs; nothing unmasked reaches
 * the caller (results, errors, notices) or the recording; every step is recorded and the
 * recording verifies; denials and reviews are typed errors; the caller's handle reaches no
 * driver object and no credential. And the gate runtime's contract (SPEC §9): result caps stop
 * an oversized result with `ERR_RESULT_TOO_LARGE`; a handle that makes no request records
 * nothing; the handle reaches no prototype but JavaScript's own, so patching what it can reach
 * changes nothing. Each test builds a fresh subject with `factory`.
 *
 * @example
 * ```ts
 * describeAdapterConformance('@portcullis/pg', async ({ approvals, recorder }) => {
 *   const portcullis = await createPortcullis({ policy, approvals, recorder });
 *   const db = createGatedPool({ config, portcullis, target: 'warehouse' });
 *   return { portcullis, requester, approver, secrets, credentials, driverClasses: [pg.Client, pg.Pool],
 *            open: async (review) => caller(db.as(requester, { review })), writes, close: () => db.end() };
 * });
 * ```
 * @throws TypeError (when the tests run) if the subject's policy does not require recording.
 */
export function describeAdapterConformance(
  name: string,
  factory: ConformanceFactory,
  options: ConformanceOptions = {},
): void {
  const title = `${name} conformance (SPEC §8)${options.skip === undefined ? '' : ` — skipped: ${options.skip}`}`;
  const suite = (): void => {
    const open: { subject: ConformanceSubject; callers: ConformanceCaller[] }[] = [];

    // What a test planted on shared prototypes, taken off before anything else after each test
    // (also when a test timed out with a request that never settled and its `finally` never ran).
    const unplant: (() => void)[] = [];

    afterEach(async () => {
      for (const undo of unplant.splice(0)) undo();
      const all = open.splice(0);
      for (const { subject, callers } of all) {
        await Promise.allSettled(callers.map((c) => c.end()));
        await subject.close();
      }
    });

    async function setUp(overrides: { approvals?: ApprovalStore } = {}): Promise<{
      subject: ConformanceSubject;
      sink: SwitchableSink;
      caller: (review?: typeof WAIT | typeof DEFER) => Promise<ConformanceCaller>;
    }> {
      const sink = switchableSink();
      const approvals = overrides.approvals ?? (await (options.approvals ?? createMemoryApprovalStore)());
      const subject = await factory({ approvals, recorder: createRecorder({ sink }), caps: CAPS });
      const entry = { subject, callers: [] as ConformanceCaller[] };
      open.push(entry);
      if (!subject.portcullis.policy.recordingRequired) {
        throw new TypeError(
          'the conformance policy must require recording: add `recording: { required: true }`',
        );
      }
      return {
        subject,
        sink,
        caller: async (review = DEFER) => {
          const c = await subject.open(review);
          entry.callers.push(c);
          return c;
        },
      };
    }

    it('keeps the order of requests on one handle while one waits for approval, and runs the approved one once', async () => {
      const { subject, caller } = await setUp();
      const waiting = await caller(WAIT);
      const order: string[] = [];
      const write = waiting.write().then(() => order.push('write'));
      const read = waiting.read().then(() => order.push('read'));
      const id = await pendingApproval(subject.portcullis);
      // A request on another handle completes meanwhile: the adapter is live, and the read
      // queued behind the waiting write still has not run.
      await (await caller()).read();
      expect(order).toEqual([]);
      await subject.portcullis.approvals.approve(id, subject.approver);
      await Promise.all([write, read]);
      expect(order).toEqual(['write', 'read']);
      expect(await subject.writes()).toBe(1);
    });

    it('surfaces denials and reviews as typed errors, and an approved request runs exactly once', async () => {
      const { subject, caller } = await setUp();
      const c = await caller();
      const denied = await c.denied().catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(PortcullisError);
      expect(denied).toMatchObject({ code: 'ERR_DENIED', decision: { effect: 'deny' } });
      expect((denied as { decision: { reasons: unknown[] } }).decision.reasons.length).toBeGreaterThan(0);

      const held = await c.write().catch((e: unknown) => e);
      expect(held).toBeInstanceOf(PortcullisError);
      expect(held).toMatchObject({ code: 'ERR_REVIEW_REQUIRED', decision: { effect: 'review' } });
      const id = (held as { approvalId: string }).approvalId;
      expect(await subject.portcullis.approvals.get(id)).toMatchObject({ id, status: 'pending' });
      expect(await subject.writes()).toBe(0);

      await subject.portcullis.approvals.approve(id, subject.approver);
      await c.write();
      expect(await subject.writes()).toBe(1);
      const again = await c.write().catch((e: unknown) => e);
      expect(again).toMatchObject({ code: 'ERR_REVIEW_REQUIRED' });
      expect((again as { approvalId: string }).approvalId).not.toBe(id);
      expect(await subject.writes()).toBe(1);
    });

    it('fails closed when the approval store fails: the request is denied and does not run', async () => {
      const { subject, caller } = await setUp({ approvals: failingStore() });
      const c = await caller();
      const err = await c.write().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortcullisError);
      expect(err).toMatchObject({ code: 'ERR_DENIED' });
      const waited = await (await caller(WAIT)).write().catch((e: unknown) => e);
      expect(waited).toMatchObject({ code: 'ERR_DENIED' });
      expect(await subject.writes()).toBe(0);
    });

    it('fails closed when the recording sink fails: nothing runs and no result reaches the caller', async () => {
      const { subject, sink, caller } = await setUp();
      const c = await caller();
      await c.read();
      // An approved write, so the only thing between it and the target is the recording.
      const held = await c.write().catch((e: unknown) => e);
      await subject.portcullis.approvals.approve(
        (held as { approvalId: string }).approvalId,
        subject.approver,
      );
      sink.failing = true;
      for (const attempt of [() => c.secretRead(), () => c.write(), () => c.read()]) {
        const err = await attempt().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PortcullisError);
        expect(['ERR_DENIED', 'ERR_RECORDING_FAILED']).toContain((err as PortcullisError).code);
        expect(findLeaks(err, { strings: subject.secrets })).toEqual([]);
      }
      expect(await subject.writes()).toBe(0);
      // A handle opened while the sink fails cannot run anything either.
      const late = await caller()
        .then((h) => h.read())
        .catch((e: unknown) => e);
      expect(late).toBeInstanceOf(PortcullisError);
    });

    it('masks every result before the caller sees it', async () => {
      const { subject, caller } = await setUp();
      const result = await (await caller()).secretRead();
      expect(result).toBeDefined();
      expect(findLeaks(result, { strings: subject.secrets })).toEqual([]);
      expect(inspectDeep(result)).not.toMatch(anyOf(subject.secrets));
    });

    it('masks errors (message, details, causes) before the caller sees them', async () => {
      const { subject, caller } = await setUp();
      const err = await (
        await caller()
      )
        .secretError()
        .then(() => new Error('secretError() resolved; it must reject'))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).not.toBe('secretError() resolved; it must reject');
      expect(findLeaks(err, { strings: subject.secrets })).toEqual([]);
      expect(inspectDeep(err)).not.toMatch(anyOf(subject.secrets));
    });

    if (options.notices !== false) {
      it('masks out-of-band messages (notices) before the caller sees them', async () => {
        const { subject, caller } = await setUp();
        const c = await caller();
        if (c.secretNotice === undefined) {
          throw new TypeError(
            'the caller has no secretNotice(); pass { notices: false } if the protocol has no notices',
          );
        }
        const received = await c.secretNotice();
        expect(findLeaks(received, { strings: subject.secrets })).toEqual([]);
      });
    }

    it('records every step of every request in order, without secrets, and the recording verifies', async () => {
      const { subject, sink, caller } = await setUp();
      const c = await caller();
      await c.read();
      await c.secretRead();
      await c.denied().catch(() => undefined);
      await c.secretError().catch(() => undefined);
      if (c.secretNotice !== undefined) await c.secretNotice();
      const held = await c.write().catch((e: unknown) => e);
      await subject.portcullis.approvals.approve(
        (held as { approvalId: string }).approvalId,
        subject.approver,
      );
      await c.write();
      await c.end();

      const events = sink.memory.events;
      const report = verifyRecording(sink.memory.toJsonLines());
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(events[0]?.type).toBe('session.start');
      expect(events.at(-1)?.type).toBe('session.end');
      expect(findLeaks(sink.memory.toJsonLines(), { strings: subject.secrets })).toEqual([]);

      const requests = events.filter((e) => e.type === 'request');
      expect(requests.length).toBeGreaterThanOrEqual(c.secretNotice === undefined ? 6 : 7);
      for (const request of requests) {
        const steps = events.filter((e) => requestSeqOf(e) === request.seq);
        const types = steps.map((e) => e.type);
        expect(types[0], `request ${request.seq}`).toBe('decision');
        const closing = types.filter((t) => t === 'result' || t === 'output' || t === 'error');
        expect(closing.length, `request ${request.seq} ends in a result, output or error`).toBeGreaterThan(0);
        for (const step of steps) expect(step.seq).toBeGreaterThan(request.seq);
      }
      // The approved write: pending, then the grant used (or, for an adapter whose requests can
      // run in a transaction, reserved and then consumed as its autocommit work ends), then its
      // result.
      const statusOf = (e: RecordEvent): string | undefined => (e.data as { status?: string }).status;
      const used = events.find(
        (e) => e.type === 'approval' && (statusOf(e) === 'used' || statusOf(e) === 'reserved'),
      );
      expect(used).toBeDefined();
      const steps = events.filter((e) => requestSeqOf(e) === requestSeqOf(used as RecordEvent));
      expect(steps.map((e) => e.type)).toContain('result');
      if (statusOf(used as RecordEvent) === 'reserved') {
        expect(steps.filter((e) => e.type === 'approval').map(statusOf)).toContain('consumed');
      }
    });

    it('gives the caller a handle that reaches no driver object and no credential', async () => {
      const { subject, caller } = await setUp();
      const c = await caller();
      await c.read();
      await c.secretRead();
      const query = { strings: subject.credentials, classes: subject.driverClasses };
      expect(findLeaks(c.handle, query)).toEqual([]);
      expect(inspectDeep(c.handle)).not.toMatch(anyOf(subject.credentials));
      expect(findLeaks(await c.read(), query)).toEqual([]);
      expect(findLeaks(await c.denied().catch((e: unknown) => e), query)).toEqual([]);
    });

    if (options.caps !== false) {
      it('stops a result past the caps with ERR_RESULT_TOO_LARGE (SPEC §9)', async () => {
        const { subject, caller } = await setUp();
        const c = await caller();
        if (c.bigRead === undefined) {
          throw new TypeError('the caller has no bigRead(); pass { caps: false } if results have no rows');
        }
        const err = await c.bigRead().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PortcullisError);
        expect(err).toMatchObject({ code: 'ERR_RESULT_TOO_LARGE', cap: 'maxRows', limit: CAPS.maxRows });
        expect((err as Error).message).toMatch(/maxRows/);
        expect(findLeaks(err, { strings: subject.secrets })).toEqual([]);
        // The handle goes on working.
        expect(await c.read()).toBeDefined();
      });
    }

    it('records nothing for a handle that makes no request (SPEC §9)', async () => {
      const { sink, caller } = await setUp();
      const c = await caller();
      await c.end();
      expect(sink.memory.events).toEqual([]);
    });

    const failsClosed = options.prototypeFailsClosed;
    it(
      failsClosed === undefined
        ? "reaches no prototype but JavaScript's own, so patching what a handle reaches changes nothing (SPEC §9)"
        : `reaches no prototype but JavaScript's own, so patching what a handle reaches runs nothing it planted (SPEC §9) — requests may fail closed: ${failsClosed}`,
      async () => {
        const { subject, sink, caller } = await setUp();
        const victim = await caller();
        const attacker = await caller();
        const objects = reachable([victim.handle, attacker.handle, await attacker.read()]);
        const prototypes = new Set([...objects].map((o) => Object.getPrototypeOf(o) as unknown));
        expect([...prototypes].filter((p) => !INTRINSIC.has(p))).toEqual([]);
        // Plant functions under the name of every method the handles have on every prototype
        // they reach. Accessors (such as a facade's traps that refuse to be read as a driver's
        // connection config) are not methods a caller's code would look up elsewhere.
        const names = new Set<string | symbol>();
        for (const handle of [victim.handle, attacker.handle])
          for (const key of Reflect.ownKeys(handle)) {
            const descriptor = Object.getOwnPropertyDescriptor(handle, key);
            if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(key);
          }
        for (const hook of ['noteBypass', 'note', 'run', 'enqueue', 'record', 'execute']) names.add(hook);
        // Names the language itself reads from any object (property descriptors, thenables, JSON)
        // are left alone: planting them would break every descriptor and promise in the process,
        // the gate's included, which is not an attack on the handle. So are names a prototype
        // already has, inherited ones too (see plantOnPrototypes): the handle's `apply` planted on
        // the async-function prototype hid Function.prototype.apply from every async function, so
        // Node's EventEmitter ran it in place of every async listener, the test runner's IPC
        // included; a runner message arriving meanwhile was lost and the run hung.
        const planted: (string | symbol)[] = [];
        const outcomes: unknown[] = [];
        let undo = (): void => undefined;
        unplant.push(() => {
          undo();
        });
        try {
          undo = plantOnPrototypes(
            prototypes,
            [...names].filter((name) => !LANGUAGE_NAMES.has(name)),
            (name) => () => {
              planted.push(name);
              return victim.write();
            },
          );
          for (const c of [attacker, victim]) {
            outcomes.push(
              failsClosed === undefined ? await c.read() : await c.read().catch((e: unknown) => e),
            );
          }
        } finally {
          undo();
        }
        expect(planted).toEqual([]);
        expect(await subject.writes()).toBe(0);
        expect(sink.memory.events.filter((e) => e.type === 'approval')).toEqual([]);
        if (failsClosed === undefined) {
          expect(sink.memory.events.filter((e) => e.type === 'error')).toEqual([]);
        } else {
          // A refusal carries no secret or credential, and once the patch is gone the handle works again.
          expect(findLeaks(outcomes, { strings: [...subject.secrets, ...subject.credentials] })).toEqual([]);
          expect(await victim.read()).toBeDefined();
        }
      },
    );
  };
  if (options.skip === undefined) describe(title, suite);
  else describe.skip(title, suite);
}

function requestSeqOf(event: RecordEvent): number | undefined {
  const data = event.data as { requestSeq?: unknown } | null;
  return typeof data?.requestSeq === 'number' ? data.requestSeq : undefined;
}

/** Polls the engine until exactly one approval request is pending, and returns its id. */
async function pendingApproval(portcullis: Portcullis): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const pending = await portcullis.approvals.list({ status: 'pending' });
    if (pending.length === 1 && pending[0] !== undefined) return pending[0].id;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no approval request became pending');
}

function anyOf(strings: readonly string[]): RegExp {
  const parts = strings.filter((s) => s.length > 0).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return parts.length === 0 ? /(?!)/ : new RegExp(parts.join('|'));
}

import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createPortcullis } from '../engine/create-portcullis.js';
import type { Classify, Portcullis } from '../engine/types.js';
import { DeniedError, RecordingError, ResultTooLargeError, ReviewRequiredError } from '../errors.js';
import { createExampleRng, githubStyleToken } from '../mask/lib/example-rng.js';
import { parsePolicy } from '../policy/load-policy.js';
import { createRecorder } from '../record/create-recorder.js';
import { createMemorySink, type MemorySink } from '../record/memory-sink.js';
import type { Action, CommandRequest, Principal, RecordingSink } from '../types.js';
import { createGate } from './create-gate.js';
import type { GateAdapter, GateRun } from './types.js';

const TOKEN = githubStyleToken(createExampleRng(9), 'ghp_');

const POLICY = (required = false): string => `
version: 1
targets:
  bastion: { protocol: ssh }
rules:
  - id: ops-run
    effect: allow
    when: { groups: [ops], targets: [bastion], operations: [exec], resources: ["echo *", "emit *", "rows *", "hang", "fail", "slow *"] }
  - id: restarts-reviewed
    effect: review
    when: { groups: [ops], targets: [bastion], operations: [exec], resources: ["restart *"] }
    review: { approvers: { groups: [sre] } }
  - id: no-rm
    effect: deny
    when: { targets: [bastion], operations: [exec], resources: ["rm *"] }
    reason: never
${required ? 'recording: { required: true }' : ''}
`;

const alice: Principal = { subject: 'alice', groups: ['ops'], kind: 'human' };
const bob: Principal = { subject: 'bob', groups: ['sre'], kind: 'human' };

/** A call of the toy adapter: a command line and what the "driver" should do. */
interface Call {
  readonly command: string;
  readonly chunks?: readonly string[];
  readonly rows?: number;
  readonly state?: string;
}

interface Raw {
  readonly out: string;
  readonly rows: number;
}

/** A toy exec adapter: echoes its chunks through the gate's output stream. */
function toyAdapter(log: string[]): GateAdapter<Call, Raw, Raw> {
  return {
    toRequest: (call) => ({
      request: { type: 'command', command: call.command },
      ...(call.state === undefined ? {} : { state: call.state }),
      ...(call.command === 'nameless' ? { refuse: 'no such statement' } : {}),
    }),
    async execute(call: Call, run: GateRun) {
      log.push(`run ${call.command}`);
      if (call.command === 'fail') throw new Error(`driver said ${TOKEN}`);
      if (call.command.startsWith('slow ')) {
        await new Promise((resolve) => {
          setTimeout(resolve, Number(call.command.slice(5)));
        });
      }
      if (call.command === 'hang') {
        await new Promise((resolve) => {
          run.signal.addEventListener('abort', resolve);
        });
        log.push('stopped');
        return { out: '', rows: 0 };
      }
      const out = run.output('stdout');
      let shown = '';
      for (const chunk of call.chunks ?? []) shown += await out.write(chunk);
      shown += await out.end();
      let rows = 0;
      for (let i = 0; i < (call.rows ?? 0); i++) {
        run.count(1, 10);
        rows++;
      }
      return { out: shown, rows };
    },
    shape: (raw) => ({ value: raw, record: { summary: `exit 0`, rowCount: raw.rows, exitCode: 0 } }),
    capsHint: 'createToy({ caps })',
  };
}

async function setup(
  options: { sink?: RecordingSink; required?: boolean; classify?: Classify; recorder?: boolean } = {},
): Promise<{ portcullis: Portcullis; sink: MemorySink; log: string[]; classified: string[] }> {
  const sink = createMemorySink();
  const classified: string[] = [];
  const classify: Classify =
    options.classify ??
    ((request) => {
      const command = (request as CommandRequest).command;
      classified.push(command);
      return [{ operation: 'exec', resource: command } satisfies Action];
    });
  const portcullis = await createPortcullis({
    policy: parsePolicy(POLICY(options.required)),
    classify,
    ...(options.recorder === false ? {} : { recorder: createRecorder({ sink: options.sink ?? sink }) }),
  });
  return { portcullis, sink, log: [], classified };
}

/** A memory sink that, once `fail()` was called, refuses every batch holding an event of `type`. */
function failingSink(type: string): { sink: RecordingSink; inner: MemorySink; fail: () => void } {
  const inner = createMemorySink();
  let failing = false;
  const sink: RecordingSink = {
    append: (events) => {
      if (failing && events.some((e) => e.type === type)) return Promise.reject(new Error('disk full'));
      return inner.append(events);
    },
    flush: () => inner.flush(),
    close: () => inner.close(),
  };
  return {
    sink,
    inner,
    fail: () => {
      failing = true;
    },
  };
}

describe('createGate', () => {
  it('runs allowed requests through execute and shape, recording request, decision and result', async () => {
    const { portcullis, sink, log } = await setup();
    const gate = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) });
    const session = gate.open(alice);
    const result = await session.run({ command: 'echo hi', chunks: ['hi'] });
    expect(result.out).toBe('hi');
    await session.end();
    expect(sink.events.map((e) => e.type)).toEqual([
      'session.start',
      'request',
      'decision',
      'output',
      'result',
      'session.end',
    ]);
    const output = sink.events[3]?.data as Record<string, unknown>;
    expect(output).toMatchObject({ requestSeq: 1, stream: 'stdout', data: 'hi' });
    expect(typeof output['elapsed']).toBe('number');
    expect(sink.events[4]?.data).toMatchObject({ requestSeq: 1, summary: 'exit 0', exitCode: 0 });
  });

  it('denies before execute and records the denial', async () => {
    const { portcullis, sink, log } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    await expect(session.run({ command: 'rm -rf /' })).rejects.toBeInstanceOf(DeniedError);
    expect(log).toEqual([]);
    expect(sink.events.map((e) => e.type)).toEqual(['session.start', 'request', 'decision', 'error']);
  });

  it('refuses what toRequest refuses, without deciding', async () => {
    const { portcullis, log, classified } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    const err = await session.run({ command: 'nameless' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).decision.reasons).toEqual(['no such statement']);
    expect(classified).toEqual([]);
    expect(log).toEqual([]);
  });

  describe("the adapter's screen", () => {
    const screened = (log: string[], seen: (string | undefined)[] = []): GateAdapter<Call, Raw, Raw> => ({
      ...toyAdapter(log),
      screen: (call, masking) => {
        seen.push(masking.masker.detectors.length > 0 ? 'masked' : 'plain');
        if (call.command.endsWith('boom')) throw new Error('screen broke');
        return call.command.includes('secret') ? 'column rule: secret is read in a condition' : undefined;
      },
    });

    it('denies as the decision, before approval or execution, and records it so', async () => {
      const { portcullis, sink, log } = await setup();
      const seen: (string | undefined)[] = [];
      const session = createGate({ portcullis, target: 'bastion', adapter: screened(log, seen) }).open(alice);
      const denied = await session.run({ command: 'echo secret' }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(DeniedError);
      expect((denied as DeniedError).decision.reasons).toEqual([
        'column rule: secret is read in a condition',
      ]);
      expect((denied as Error).message).toMatch(/is denied: column rule: secret is read in a condition/);
      // A review is refused before any approval is asked for.
      const held = await session.run({ command: 'restart secret' }).catch((e: unknown) => e);
      expect(held).toBeInstanceOf(DeniedError);
      expect(await portcullis.approvals.list({ status: 'pending' })).toEqual([]);
      // A throwing screen denies too.
      expect(await session.run({ command: 'echo boom' }).catch((e: unknown) => e)).toBeInstanceOf(
        DeniedError,
      );
      expect((await session.run({ command: 'echo fine', chunks: ['ok'] })).out).toBe('ok');
      await session.end();
      expect(log).toEqual(['run echo fine']);
      const decisions = sink.events
        .filter((e) => e.type === 'decision')
        .map((e) => e.data as Record<string, unknown>);
      expect(decisions.map((d) => d['effect'])).toEqual(['deny', 'deny', 'deny', 'allow']);
      expect(decisions[0]?.['reasons']).toEqual(['column rule: secret is read in a condition']);
      // Every built-in detector: the decision's profile (none named) was given to the screen.
      expect(seen).toEqual(['masked', 'masked', 'masked', 'masked']);
    });

    it('is not asked about what the policy already denies', async () => {
      const { portcullis, log } = await setup();
      const seen: (string | undefined)[] = [];
      const session = createGate({ portcullis, target: 'bastion', adapter: screened(log, seen) }).open(alice);
      await expect(session.run({ command: 'rm secret' })).rejects.toBeInstanceOf(DeniedError);
      expect(seen).toEqual([]);
    });
  });

  it('keeps requests in call order while one waits for approval', async () => {
    const { portcullis, log } = await setup();
    const session = createGate({
      portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
      review: { mode: 'wait', timeoutMs: 5000 },
    }).open(alice);
    const first = session.run({ command: 'restart web' });
    const second = session.run({ command: 'echo after' });
    for (let i = 0; i < 50 && (await portcullis.approvals.list({ status: 'pending' })).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(log).toEqual([]);
    const [pending] = await portcullis.approvals.list({ status: 'pending' });
    await portcullis.approvals.approve(pending?.id ?? '', bob);
    await Promise.all([first, second]);
    expect(log).toEqual(['run restart web', 'run echo after']);
  });

  it('surfaces a review in defer mode with the approval id', async () => {
    const { portcullis, log } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    const err = await session.run({ command: 'restart web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReviewRequiredError);
    expect((err as ReviewRequiredError).approvalId).toMatch(/./);
  });

  it('an adapter that reserves grants is handed the reservation; one that fails before execute releases it', async () => {
    const { portcullis, log } = await setup();
    const ended: string[] = [];
    const base = toyAdapter(log);
    let failEffects = true;
    const adapter: GateAdapter<Call, Raw, Raw> = {
      ...base,
      reservesGrants: true,
      effects: () => {
        if (failEffects) throw new Error('effects failed');
        return undefined;
      },
      async execute(call, run) {
        const raw = await base.execute(call, run);
        ended.push(run.authorization.reservation?.approvalId ?? 'no reservation');
        await run.authorization.reservation?.end('consumed');
        return raw;
      },
    };
    const session = createGate({ portcullis, target: 'bastion', adapter }).open(alice);
    const held = await session.run({ command: 'restart web' }).catch((e: unknown) => e);
    const id = (held as ReviewRequiredError).approvalId;
    await portcullis.approvals.approve(id, bob);
    await expect(session.run({ command: 'restart web' })).rejects.toThrow('effects failed');
    expect(log).toEqual([]);
    expect((await portcullis.approvals.get(id))?.status).toBe('approved');
    failEffects = false;
    await session.run({ command: 'restart web' });
    expect(ended).toEqual([id]);
    expect((await portcullis.approvals.get(id))?.status).toBe('consumed');
  });

  it('decides a repeated request once per principal, request and session state', async () => {
    const { portcullis, log, classified } = await setup();
    const gate = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) });
    const a = gate.open(alice);
    await a.run({ command: 'echo 1' });
    await a.run({ command: 'echo 1' });
    await gate.open(alice).run({ command: 'echo 1' });
    expect(classified).toEqual(['echo 1']);
    await a.run({ command: 'echo 1', state: 'p=1' });
    await gate.open({ ...alice, groups: ['ops', 'x'] }).run({ command: 'echo 1' });
    expect(classified).toEqual(['echo 1', 'echo 1', 'echo 1']);
    // Approvals are never cached: a reviewed request asks every time.
    await expect(a.run({ command: 'restart a' })).rejects.toBeInstanceOf(ReviewRequiredError);
    await expect(a.run({ command: 'restart a' })).rejects.toBeInstanceOf(ReviewRequiredError);
  });

  describe('a repeated allowed request (its plan cached)', () => {
    it('cannot be changed through the decision a denial hands its caller', async () => {
      const { portcullis, log } = await setup();
      const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
      const err = (await session.run({ command: 'rm -rf /' }).catch((e: unknown) => e)) as DeniedError;
      expect(err).toBeInstanceOf(DeniedError);
      // A caller (an agent) rewriting the denial it was given, as far as the objects let it.
      const rewrite = (object: object, key: string, value: unknown): void => {
        try {
          (object as Record<string, unknown>)[key] = value;
        } catch {
          // frozen
        }
      };
      rewrite(err.decision, 'effect', 'allow');
      rewrite(err.decision, 'rules', ['ops-run']);
      for (const outcome of err.decision.actions) {
        rewrite(outcome, 'effect', 'allow');
        rewrite(outcome.action, 'resource', 'echo x');
      }
      try {
        (err.decision.actions as unknown[]).length = 0;
      } catch {
        // frozen
      }
      await expect(session.run({ command: 'rm -rf /' })).rejects.toBeInstanceOf(DeniedError);
      await expect(session.run({ command: 'rm -rf /' })).rejects.toMatchObject({
        decision: { effect: 'deny', rules: ['no-rm'] },
      });
      expect(log).toEqual([]);
    });

    it('is denied once the credential has expired, as on the full path', async () => {
      let nowMs = Date.parse('2026-01-01T00:00:00Z');
      const log: string[] = [];
      const portcullis = await createPortcullis({
        policy: parsePolicy(POLICY()),
        classify: (request) => [{ operation: 'exec', resource: (request as CommandRequest).command }],
        now: () => new Date(nowMs),
      });
      const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open({
        ...alice,
        expiresAt: nowMs / 1000 + 60,
      });
      await session.run({ command: 'echo 1' });
      await session.run({ command: 'echo 1' });
      nowMs += 120_000;
      await expect(session.run({ command: 'echo 1' })).rejects.toThrow(/expired/);
      expect(log).toEqual(['run echo 1', 'run echo 1']);
    });

    it('is decided again when the session state changes, and denied when the new state makes it so', async () => {
      const log: string[] = [];
      // `run NAME` runs what the session last stored under NAME, as SQL EXECUTE does.
      const stored = new Map<string, readonly Action[]>([['p', [{ operation: 'exec', resource: 'echo 1' }]]]);
      const portcullis = await createPortcullis({
        policy: parsePolicy(POLICY()),
        classify: (request, context) => {
          const command = (request as CommandRequest).command;
          const name = command.startsWith('run ') ? command.slice(4) : undefined;
          return name === undefined
            ? [{ operation: 'exec', resource: command }]
            : (context?.preparedStatements?.get(name) ?? [{ operation: 'unknown' }]);
        },
      });
      const toy = toyAdapter(log);
      const adapter: GateAdapter<Call, Raw, Raw> = {
        ...toy,
        toRequest: (call) => ({
          request: { type: 'command', command: call.command },
          context: { preparedStatements: new Map(stored) },
          state: JSON.stringify([...stored]),
        }),
      };
      const session = createGate({ portcullis, target: 'bastion', adapter }).open(alice);
      await session.run({ command: 'run p' });
      await session.run({ command: 'run p' });
      stored.set('p', [{ operation: 'exec', resource: 'rm -rf /' }]);
      await expect(session.run({ command: 'run p' })).rejects.toBeInstanceOf(DeniedError);
      expect(log).toEqual(['run run p', 'run run p']);
    });

    it('is recorded every time when a recorder is present, and denied when required recording fails', async () => {
      const { sink, inner, fail } = failingSink('request');
      const { portcullis, log } = await setup({ sink, required: true });
      const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
      await session.run({ command: 'echo ok' });
      await session.run({ command: 'echo ok' });
      expect(inner.events.filter((e) => e.type === 'result')).toHaveLength(2);
      fail();
      await expect(session.run({ command: 'echo ok' })).rejects.toBeInstanceOf(DeniedError);
      expect(log).toEqual(['run echo ok', 'run echo ok']);
    });

    it('is never shared with a gate over another policy', async () => {
      const log: string[] = [];
      const classify: Classify = (request) => [
        { operation: 'exec', resource: (request as CommandRequest).command },
      ];
      const allowing = await createPortcullis({ policy: parsePolicy(POLICY()), classify });
      const denying = await createPortcullis({
        policy: parsePolicy(POLICY().replace('"echo *", ', '')),
        classify,
      });
      const first = createGate({ portcullis: allowing, target: 'bastion', adapter: toyAdapter(log) });
      const second = createGate({ portcullis: denying, target: 'bastion', adapter: toyAdapter(log) });
      await first.open(alice).run({ command: 'echo 1' });
      await first.open(alice).run({ command: 'echo 1' });
      await expect(second.open(alice).run({ command: 'echo 1' })).rejects.toBeInstanceOf(DeniedError);
      expect(log).toEqual(['run echo 1', 'run echo 1']);
    });

    it('stays denied when the policy denies it', async () => {
      const { portcullis, log } = await setup({ recorder: false });
      const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
      await expect(session.run({ command: 'rm x' })).rejects.toBeInstanceOf(DeniedError);
      await expect(session.run({ command: 'rm x' })).rejects.toBeInstanceOf(DeniedError);
      expect(log).toEqual([]);
    });
  });

  it("decides each of a session's alternating requests by its own plan", async () => {
    const { portcullis, log } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    for (let i = 0; i < 3; i++) {
      await expect(session.run({ command: 'echo 1' })).resolves.toMatchObject({ rows: 0 });
      await expect(session.run({ command: 'rm -rf /' })).rejects.toBeInstanceOf(DeniedError);
    }
    expect(log).toEqual(['run echo 1', 'run echo 1', 'run echo 1']);
  });

  it('does not cache a decision whose classification failed', async () => {
    let calls = 0;
    const { portcullis, log } = await setup({
      classify: () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return [{ operation: 'exec', resource: 'echo x' }];
      },
    });
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    await expect(session.run({ command: 'echo x' })).rejects.toBeInstanceOf(DeniedError);
    await expect(session.run({ command: 'echo x' })).resolves.toMatchObject({ rows: 0 });
  });

  it('stops a result at maxRows while it streams, naming the cap and how to raise it', async () => {
    const { portcullis, log, sink } = await setup();
    const session = createGate({
      portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
      caps: { maxRows: 5 },
    }).open(alice);
    const err = await session.run({ command: 'rows many', rows: 1_000_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultTooLargeError);
    expect(err).toMatchObject({ code: 'ERR_RESULT_TOO_LARGE', cap: 'maxRows', limit: 5 });
    expect((err as Error).message).toMatch(/maxRows \(5 rows\).*raise maxRows in createToy\(\{ caps \}\)/);
    await session.end();
    expect(sink.events.at(-2)).toMatchObject({ type: 'error', data: { code: 'ERR_RESULT_TOO_LARGE' } });
  });

  it('counts output bytes against maxBytes', async () => {
    const { portcullis, log } = await setup();
    const session = createGate({
      portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
      caps: { maxBytes: 8 },
    }).open(alice);
    await expect(session.run({ command: 'emit x', chunks: ['12345', '67890'] })).rejects.toMatchObject({
      cap: 'maxBytes',
    });
  });

  it('stops a request at maxDurationMs through run.signal, and the next request still runs', async () => {
    const { portcullis, log } = await setup();
    const session = createGate({
      portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
      caps: { maxDurationMs: 20 },
    }).open(alice);
    await expect(session.run({ command: 'hang' })).rejects.toMatchObject({ cap: 'maxDurationMs' });
    await expect(session.run({ command: 'echo next' })).resolves.toBeDefined();
    expect(log).toEqual(['run hang', 'stopped', 'run echo next']);
  });

  // Node fires a timer set past 2^31 - 1 ms after 1 ms: a cap that long must not stop every
  // request at once.
  it('runs a request to its end under a maxDurationMs past the longest timer', async () => {
    const { portcullis, log } = await setup();
    const session = createGate({
      portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
      caps: { maxDurationMs: 2 ** 31 + 1000 },
    }).open(alice);
    await expect(session.run({ command: 'slow 30' })).resolves.toMatchObject({ out: '' });
    await session.end();
  });

  it('stops each of several requests at maxDurationMs, and runs the ones that end in time', async () => {
    const { portcullis, log } = await setup();
    const gate = createGate({
      portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
      caps: { maxDurationMs: 40 },
    });
    const sessions = [gate.open(alice), gate.open(alice), gate.open(alice)];
    const outcomes = await Promise.allSettled([
      sessions[0]!.run({ command: 'hang' }),
      sessions[1]!.run({ command: 'slow 5' }),
      sessions[2]!.run({ command: 'hang' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    const again = await Promise.allSettled([
      sessions[0]!.run({ command: 'hang' }),
      sessions[0]!.run({ command: 'slow 1' }),
    ]);
    expect(again.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    await Promise.all(sessions.map((s) => s.end()));
  });

  // A process whose requests have ended exits: the gate's deadline keeps it open only while a
  // request runs (the cap here is a minute; the child must not wait for it).
  it('leaves nothing holding the process open once its requests have ended', async () => {
    const CHILD_POLICY = [
      'version: 1',
      'targets: { box: { protocol: ssh } }',
      'rules:',
      '  - { id: all, effect: allow, when: { operations: [exec] } }',
    ].join('\n');
    const script = `
      const { createGate } = await import(${JSON.stringify(new URL('./create-gate.ts', import.meta.url).pathname)});
      const { createPortcullis, parsePolicy } = await import(${JSON.stringify(new URL('../index.ts', import.meta.url).pathname)});
      const portcullis = await createPortcullis({
        policy: parsePolicy(${JSON.stringify(CHILD_POLICY)}),
        classify: () => [{ operation: 'exec', resource: 'x' }],
      });
      const session = createGate({
        portcullis,
        target: 'box',
        caps: { maxDurationMs: 60000 },
        adapter: {
          toRequest: () => ({ request: { type: 'command', command: 'x' } }),
          execute: async () => 'done',
          shape: (raw) => ({ value: raw, record: { summary: 'ok' } }),
          capsHint: 'caps',
        },
      }).open({ subject: 'alice', groups: [], kind: 'human' });
      console.log(await session.run({}));
    `;
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 30_000 },
        (err, out) => {
          resolve({ stdout: out, code: err === null ? 0 : (err.code as number | null) });
        },
      );
    });
    // Killed at 30 s (long before the minute of the cap), it would have no code.
    expect({ stdout: stdout.trim(), code }).toEqual({ stdout: 'done', code: 0 });
  });

  it('masks output streams across chunk boundaries and records only masked text', async () => {
    const { portcullis, log, sink } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    const text = `token=${TOKEN} done`;
    for (const cut of [1, 7, 12, text.length - 3]) {
      const result = await session.run({ command: 'emit x', chunks: [text.slice(0, cut), text.slice(cut)] });
      expect(result.out).toBe('token=[REDACTED:github-token] done');
    }
    await session.end();
    const recorded = JSON.stringify(sink.events);
    expect(recorded).not.toContain(TOKEN);
    expect(recorded).toContain('[REDACTED:github-token]');
  });

  it('masks errors with the same plan as results and keeps no driver cause', async () => {
    const { portcullis, log, sink } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    const err = (await session.run({ command: 'fail' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('driver said [REDACTED:github-token]');
    expect(err.cause).toBeUndefined();
    await session.end();
    expect(sink.events.map((e) => e.type)).toContain('error');
    expect(JSON.stringify(sink.events)).not.toContain(TOKEN);
  });

  it('starts a recording only at the first request, and never without a recorder', async () => {
    const { portcullis, log, sink } = await setup();
    const gate = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) });
    await gate.open(alice).end();
    expect(sink.events).toEqual([]);
    const bare = await setup({ recorder: false });
    const session = createGate({
      portcullis: bare.portcullis,
      target: 'bastion',
      adapter: toyAdapter(log),
    }).open(alice);
    await expect(session.run({ command: 'echo 1' })).resolves.toBeDefined();
    await session.end();
  });

  it('withholds a result it could not record when the policy requires recording', async () => {
    const { sink, fail } = failingSink('result');
    const { portcullis, log } = await setup({ sink, required: true });
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    await expect(session.run({ command: 'echo ok' })).resolves.toBeDefined();
    fail();
    await expect(session.run({ command: 'echo ok' })).rejects.toBeInstanceOf(RecordingError);
  });

  it('ends: later runs are refused, queued work finishes first', async () => {
    const { portcullis, log } = await setup();
    const session = createGate({ portcullis, target: 'bastion', adapter: toyAdapter(log) }).open(alice);
    const queued = session.run({ command: 'echo a' });
    const order: string[] = [];
    await session.end(() => {
      order.push('released');
    });
    await queued;
    expect(order).toEqual(['released']);
    expect(session.ended).toBe(true);
    await expect(session.run({ command: 'echo b' })).rejects.toBeInstanceOf(TypeError);
  });

  it('checks its options', async () => {
    const { portcullis, log } = await setup();
    const adapter = toyAdapter(log);
    expect(() => createGate({ portcullis, target: 'nope', adapter })).toThrow(TypeError);
    expect(() => createGate({ portcullis, target: 'bastion', adapter, caps: { maxRows: 0 } })).toThrow(
      /maxRows/,
    );
    expect(() => createGate({ portcullis, target: 'bastion', adapter: {} as never })).toThrow(TypeError);
    expect(() => createGate({ portcullis, target: 'bastion', adapter }).open({} as Principal)).toThrow(
      TypeError,
    );
  });

  it('opens a session for a principal without a kind as a human; an unknown kind is refused', async () => {
    const sink = createMemorySink();
    const portcullis = await createPortcullis({
      policy: parsePolicy(`
version: 1
targets: { bastion: { protocol: ssh } }
rules:
  - { id: humans-run, effect: allow, when: { kinds: [human], targets: [bastion], operations: [exec] } }
`),
      classify: (request) => [{ operation: 'exec', resource: (request as CommandRequest).command }],
      recorder: createRecorder({ sink }),
    });
    const gate = createGate({ portcullis, target: 'bastion', adapter: toyAdapter([]) });
    const carol = gate.open({ subject: 'carol', groups: ['ops'] });
    expect(carol.principal).toEqual({ subject: 'carol', groups: ['ops'], kind: 'human' });
    await expect(carol.run({ command: 'echo hi', chunks: ['hi'] })).resolves.toMatchObject({ out: 'hi' });
    await carol.end();
    expect(sink.events[0]?.data).toMatchObject({ principal: { subject: 'carol', kind: 'human' } });
    expect(gate.open({ subject: 'carol', groups: ['ops'], kind: undefined }).principal.kind).toBe('human');

    // An agent says so, and the human-only rule does not apply to it.
    const agent = gate.open({ subject: 'carol', groups: ['ops'], kind: 'agent', actor: 'copilot' });
    await expect(agent.run({ command: 'echo hi' })).rejects.toBeInstanceOf(DeniedError);
    await agent.end();
    expect(() => gate.open({ subject: 'carol', groups: ['ops'], kind: 'robot' } as never)).toThrow(
      /kind: human, agent or service/,
    );
    expect(() => gate.open({ subject: 'carol', groups: ['ops'], kind: null } as never)).toThrow(TypeError);
  });
});

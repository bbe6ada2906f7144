import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Principal, RecordEvent, Target } from '../types.js';
import { createMemorySink } from './memory-sink.js';
import { createRecorder } from './create-recorder.js';
import { formatVerifyReport } from './format-verify-report.js';
import { genesisHash, hashEvent } from './hash-event.js';
import { sealKeyId } from './seal-key-id.js';
import { serializeEvent } from './serialize-event.js';
import { verifyRecording, type VerifyProblemKind } from './verify.js';

const principal: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
const target: Target = { name: 'warehouse', protocol: 'postgres' };
const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');

function clock(): () => Date {
  let t = Date.UTC(2026, 0, 5, 10, 0, 0);
  return () => new Date((t += 250));
}

/** One session: start, two requests with decision and result, end. Returns its lines. */
async function recordSession(session: string, sealed: boolean): Promise<string[]> {
  const sink = createMemorySink();
  const recorder = createRecorder({
    sink,
    now: clock(),
    ...(sealed ? { sealingKey: keys.privateKey } : {}),
  });
  const s = await recorder.start({ principal, target }, { session });
  for (const sql of ['SELECT * FROM orders', 'DELETE FROM orders WHERE id = 7']) {
    const request = await s.record('request', { request: { type: 'sql', sql }, actions: [] });
    await s.record('decision', { requestSeq: request.seq, effect: 'allow', rules: ['r1'], reasons: [] });
    await s.record('result', { requestSeq: request.seq, summary: 'SELECT 1', rowCount: 1 });
  }
  await s.end({ reason: 'closed' });
  return sink.toJsonLines().trimEnd().split('\n');
}

const text = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');
const parse = (line: string): RecordEvent => JSON.parse(line) as RecordEvent;

/** Re-hashes events from `from` on, as an attacker without the key can. */
function rechain(lines: readonly string[], from = 0): string[] {
  const out = [...lines];
  let prev = from === 0 ? undefined : parse(out[from - 1]!).hash;
  for (let i = from; i < out.length; i++) {
    const e = parse(out[i]!);
    const unhashed = { ...e, prev: prev ?? genesisHash(e.session) };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    out[i] = serializeEvent(event);
    prev = event.hash;
  }
  return out;
}

function edit(line: string, change: (e: RecordEvent) => RecordEvent): string {
  return serializeEvent(change(parse(line)));
}

let plain: string[];
let sealed: string[];
let other: string[];

beforeAll(async () => {
  plain = await recordSession('s1', false);
  sealed = await recordSession('s1', true);
  other = await recordSession('s2', false);
});

describe('verifyRecording', () => {
  it('accepts an intact recording and describes its sessions', () => {
    const report = verifyRecording(text(plain));
    expect(report).toEqual({
      ok: true,
      lines: 8,
      events: 8,
      sessions: [
        {
          session: 's1',
          events: 8,
          firstLine: 1,
          lastLine: 8,
          sealed: false,
          sealVerified: false,
          ended: true,
          intact: true,
          checkpoints: 0,
        },
      ],
      problems: [],
      warnings: [],
    });
    expect(formatVerifyReport(report, { file: 'a.jsonl' })).toBe('a.jsonl: ok: 1 session, 8 events');
  });

  it('chains interleaved sessions in one file each on its own', () => {
    const mixed = plain.flatMap((l, i) => [l, other[i]!]);
    const report = verifyRecording(text(mixed));
    expect(report.ok).toBe(true);
    expect(report.sessions.map((s) => [s.session, s.events, s.firstLine, s.lastLine])).toEqual([
      ['s1', 8, 1, 15],
      ['s2', 8, 2, 16],
    ]);
  });

  it('accepts the same recording as lines or as parsed events', () => {
    expect(verifyRecording(plain).ok).toBe(true);
    expect(verifyRecording(plain.map(parse)).ok).toBe(true);
  });

  it('verifies a sealed session with its public key in every accepted form', () => {
    const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const raw = Buffer.from(keys.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    for (const publicKey of [
      keys.publicKey,
      keys.privateKey,
      pem,
      raw,
      raw.toString('hex'),
      raw.toString('base64url'),
    ]) {
      const report = verifyRecording(text(sealed), { publicKey });
      expect(report.ok).toBe(true);
      expect(report.keyId).toBe(sealKeyId(keys.publicKey));
      expect(report.sessions[0]).toMatchObject({
        sealed: true,
        sealVerified: true,
        keyId: sealKeyId(keys.publicKey),
      });
    }
  });

  it('warns, without failing, that a seal was not checked when no key is given', () => {
    const report = verifyRecording(text(sealed));
    expect(report.ok).toBe(true);
    expect(report.sessions[0]).toMatchObject({ sealed: true, sealVerified: false });
    expect(report.warnings.map((w) => w.kind)).toEqual(['unverified-seal']);
  });

  it('rejects a key that is not Ed25519 with a TypeError', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => verifyRecording(text(plain), { publicKey: rsa.publicKey })).toThrow(TypeError);
    expect(() => verifyRecording(text(plain), { publicKey: 'not a key' })).toThrow(TypeError);
  });

  type Case = readonly [
    name: string,
    /** Lines (each written with a newline) or the whole text. */
    lines: () => string[] | string,
    kind: VerifyProblemKind,
    line: number,
    seq: number | undefined,
    key?: boolean,
  ];
  const cases: readonly Case[] = [
    [
      'data changed without re-hashing',
      () => plain.map((l, i) => (i === 2 ? l.replace('"allow"', '"deny"') : l)),
      'modified',
      3,
      2,
    ],
    [
      'an event changed and re-hashed (the next one no longer links to it)',
      () => {
        const out = [...plain];
        const e = parse(out[2]!);
        const data = { ...(e.data as object), effect: 'deny' };
        out[2] = serializeEvent({ ...e, data, hash: hashEvent({ ...e, data }) });
        return out;
      },
      'modified',
      3,
      2,
    ],
    ['a middle event deleted', () => plain.filter((_, i) => i !== 2), 'deleted', 3, 3],
    ['two events swapped', () => [plain[0]!, plain[2]!, plain[1]!, ...plain.slice(3)], 'reordered', 2, 2],
    [
      'an event moved to the end',
      () => [...plain.slice(0, 2), ...plain.slice(3), plain[2]!],
      'reordered',
      3,
      3,
    ],
    ['a line duplicated', () => [...plain.slice(0, 5), plain[4]!, ...plain.slice(5)], 'duplicated', 6, 4],
    [
      'an event spliced from another session',
      () => [...plain.slice(0, 4), other[4]!, ...plain.slice(4)],
      'spliced',
      5,
      4,
    ],
    [
      "another session's start renamed to this session (foreign genesis)",
      () => [
        edit(other[0]!, (e) => ({ ...e, session: 's1', hash: hashEvent({ ...e, session: 's1' }) })),
        ...plain.slice(1),
      ],
      'spliced',
      1,
      0,
    ],
    [
      'an event inserted with a valid link',
      () => {
        const e = parse(plain[3]!);
        const data = { requestSeq: 1, effect: 'allow', rules: ['forged'], reasons: [] };
        const forged = serializeEvent({ ...e, data, hash: hashEvent({ ...e, data }) });
        return [...plain.slice(0, 3), forged, ...plain.slice(3)];
      },
      'inserted',
      4,
      3,
    ],
    [
      'an event appended after the end',
      () =>
        rechain(
          [
            ...plain,
            edit(plain[7]!, (e) => ({ ...e, seq: 8, type: 'error', data: { code: 'X', message: 'x' } })),
          ],
          8,
        ),
      'after-end',
      9,
      8,
    ],
    ['the last line torn', () => text(plain.slice(0, 7)) + plain[7]!.slice(0, 40), 'torn', 8, undefined],
    [
      'a line that is not JSON',
      () => [...plain.slice(0, 2), '{"data":', ...plain.slice(3)],
      'malformed',
      3,
      undefined,
    ],
    [
      'a line with an extra member',
      () => plain.map((l, i) => (i === 1 ? l.replace('{"data"', '{"note":1,"data"') : l)),
      'malformed',
      2,
      undefined,
    ],
    [
      'a line re-spelled (whitespace) with the same content',
      () => plain.map((l, i) => (i === 1 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '') : l)),
      'malformed',
      2,
      undefined,
    ],
    ['the end of a sealed session deleted', () => sealed.slice(0, 7), 'missing-end', 7, 6, true],
    ['the last events of a sealed session deleted', () => sealed.slice(0, 4), 'missing-end', 4, 3, true],
    [
      'a sealed chain recomputed after an edit (no key to re-sign)',
      () =>
        rechain(
          sealed.map((l, i) => (i === 2 ? l.replace('"allow"', '"deny"') : l)),
          2,
        ),
      'bad-signature',
      8,
      7,
      true,
    ],
    [
      'the seal stripped and the chain recomputed',
      () =>
        rechain(
          sealed.map((l, i) =>
            i === 0 || i === 7
              ? edit(l, (e) => {
                  const { seal: _seal, ...rest } = e.data as Record<string, unknown>;
                  return { ...e, data: rest };
                })
              : l,
          ),
        ),
      'unsealed',
      1,
      0,
      true,
    ],
    ['an unsealed session when a key is required', () => plain, 'unsealed', 1, 0, true],
    [
      'the signature removed from a sealed end (chain recomputed)',
      () =>
        rechain(
          sealed.map((l, i) =>
            i === 7
              ? edit(l, (e) => {
                  const data = e.data as { seal: Record<string, unknown> };
                  const { signature: _signature, ...seal } = data.seal;
                  return { ...e, data: { ...data, seal } };
                })
              : l,
          ),
          7,
        ),
      'bad-signature',
      8,
      7,
    ],
    [
      'a request passed off as the session start (chain recomputed)',
      () => rechain([edit(plain[0]!, (e) => ({ ...e, type: 'request' })), ...plain.slice(1)]),
      'malformed',
      1,
      0,
    ],
  ];

  for (const [name, lines, kind, line, seq, key] of cases) {
    it(`detects ${name}`, () => {
      const input = lines();
      const report = verifyRecording(
        typeof input === 'string' ? input : text(input),
        key === true ? { publicKey: keys.publicKey } : {},
      );
      expect(report.ok).toBe(false);
      expect(report.firstProblem).toMatchObject({ kind, line, ...(seq === undefined ? {} : { seq }) });
      expect(report.firstProblem).toBe(report.problems[0]);
      expect(formatVerifyReport(report)).toContain(`first bad event: line ${line}`);
    });
  }

  it('names the session and seq of the first bad event in the formatted report', () => {
    const report = verifyRecording(text(plain.filter((_, i) => i !== 2)));
    expect(formatVerifyReport(report, { file: 'audit.jsonl' })).toBe(
      [
        'audit.jsonl: FAILED: 1 problem; first bad event: line 3, session s1, seq 3; 1 session, 7 events',
        '  line 3, session s1, seq 3: deleted: seq 2 missing before seq 3 (line 3): events were deleted',
      ].join('\n'),
    );
  });

  it('reports a session sealed with another key', () => {
    const report = verifyRecording(text(sealed), { publicKey: otherKeys.publicKey });
    expect(report.problems).toMatchObject([{ kind: 'wrong-key', line: 8, session: 's1' }]);
  });

  it('shows that only a seal catches a recomputed chain or deleted last events', () => {
    // Without a seal these alterations leave a consistent chain (docs/recording.md).
    const recomputed = rechain(
      plain.map((l, i) => (i === 2 ? l.replace('"allow"', '"deny"') : l)),
      2,
    );
    expect(recomputed[2]).toContain('"deny"');
    expect(verifyRecording(text(recomputed)).ok).toBe(true);
    const truncated = verifyRecording(text(plain.slice(0, 5)));
    expect(truncated.ok).toBe(true);
    expect(truncated.warnings.map((w) => w.kind)).toEqual(['not-ended']);
  });

  it('reports a torn last line and still verifies the lines before it', () => {
    const report = verifyRecording(text(plain) + plain[0]!.slice(0, 20));
    expect(report.problems).toMatchObject([{ kind: 'torn', line: 9 }]);
    expect(report.sessions[0]).toMatchObject({ events: 8, intact: true, ended: true });
  });

  it('treats an unparsable last line given as lines as torn', () => {
    const report = verifyRecording([...plain.slice(0, 7), plain[7]!.slice(0, 30)]);
    expect(report.problems.map((p) => [p.kind, p.line])).toEqual([['torn', 8]]);
  });

  it('accepts an empty recording with a warning', () => {
    const report = verifyRecording('');
    expect(report).toMatchObject({ ok: true, events: 0, sessions: [] });
    expect(report.warnings.map((w) => w.kind)).toEqual(['empty']);
  });
});

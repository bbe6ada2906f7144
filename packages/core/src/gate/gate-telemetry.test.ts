// The gate runtime's telemetry, with the OpenTelemetry SDK's in-memory exporter: a request
// through an in-memory SQL adapter opens an authorize span and an execute span whose attributes
// are exactly the target, operations, effect, rule ids, status and the values masked by
// detector; no SQL text, parameter or result value reaches any span or metric.
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createPortcullis } from '../engine/create-portcullis.js';
import { createExampleRng, githubStyleToken } from '../mask/lib/example-rng.js';
import { parsePolicy } from '../policy/load-policy.js';
import type { Principal } from '../types.js';
import { createGate } from './create-gate.js';
import type { GateAdapter } from './types.js';

class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const policy = parsePolicy(`version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - { id: read, effect: allow, when: { operations: [select] }, mask: strict }
  - { id: no-drop, effect: deny, when: { operations: [drop] }, reason: never }
masking:
  profiles:
    strict: { detectors: [secrets, pii], columns: { "*password*": redact } }
`);
const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };

// Values made at run time: two tokens, a password, an email and a marker in the SQL text.
const rng = createExampleRng(Date.now() % 100_000);
const TOKEN = githubStyleToken(rng, 'ghp_');
const TOKEN2 = githubStyleToken(rng, 'ghp_');
const PASSWORD = ['pw', 'Zq', String(Date.now())].join('-');
const EMAIL = ['carol', 'example.org'].join('@');
const MARKER = `marker${String(Date.now())}`;
const SQL = `SELECT id, note, password FROM customers WHERE tag = '${MARKER}'`;

interface Call {
  readonly sql: string;
  readonly fail?: boolean;
}
type Row = Record<string, unknown>;

/** An in-memory "database": fixed rows with secrets, a notice stream, and a failing statement. */
const adapter: GateAdapter<Call, Row[], Row[]> = {
  toRequest: (call) => ({ request: { type: 'sql', sql: call.sql } }),
  async execute(call, run) {
    if (call.fail === true) {
      throw Object.assign(new Error(`relation "${MARKER}" does not exist near ${TOKEN}`), { code: '42P01' });
    }
    const notices = run.output('notice');
    await notices.write(`NOTICE: token ${TOKEN2.slice(0, 10)}`);
    await notices.write(`${TOKEN2.slice(10)} seen\n`);
    await notices.end();
    const rows: Row[] = [
      { id: 1, note: `key ${TOKEN}`, password: PASSWORD },
      { id: 2, note: `key ${TOKEN}`, password: `${PASSWORD}2` },
      { id: 3, note: `mail ${EMAIL}`, password: null },
    ];
    run.count(rows.length, 200);
    return rows;
  },
  shape(raw, run) {
    const shape = run.masking.columns([{ name: 'id', text: false }, { name: 'note' }, { name: 'password' }]);
    const rows = raw.map((row) => shape.row(row));
    return { value: rows, record: { rowCount: rows.length, body: rows, masked: shape.masked } };
  },
};

async function setup() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const portcullis = await createPortcullis({ policy, telemetry: { tracerProvider, meterProvider } });
  const session = createGate({ portcullis, target: 'warehouse', adapter }).open(alice);
  return { exporter, reader, session };
}

/** Everything a span carries that a value could hide in: attributes, events, status, links. */
const everything = (spans: readonly ReadableSpan[]): string =>
  JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      links: s.links,
    })),
  );

function expectNoValues(text: string): void {
  for (const value of [TOKEN, TOKEN2, PASSWORD, EMAIL, MARKER, 'customers', 'SELECT', 'carol']) {
    expect(text).not.toContain(value);
  }
}

describe('gate telemetry', () => {
  it('a request opens an authorize span and an execute span with exact attributes and findings by detector', async () => {
    const { exporter, reader, session } = await setup();
    const rows = await session.run({ sql: SQL });
    await session.end();
    expect(rows[0]).toEqual({ id: 1, note: 'key [REDACTED:github-token]', password: '[REDACTED:column]' });

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['portcullis.authorize', 'portcullis.execute']);
    const [authorize, execute] = spans;
    expect(authorize?.attributes).toEqual({
      'portcullis.target': 'warehouse',
      'portcullis.operations': ['select'],
      'portcullis.effect': 'allow',
      'portcullis.rules': ['read'],
      'portcullis.outcome': 'allowed',
    });
    expect(execute?.attributes).toEqual({
      'portcullis.target': 'warehouse',
      'portcullis.protocol': 'postgres',
      'portcullis.operations': ['select'],
      'portcullis.effect': 'allow',
      'portcullis.rules': ['read'],
      'portcullis.rows': 3,
      // Two rows repeat one token (masked once, shown twice), one more in the notice stream,
      // split across two chunks; two passwords by the column rule; one email.
      'portcullis.findings.github-token': 3,
      'portcullis.findings.column': 2,
      'portcullis.findings.email': 1,
      'portcullis.findings': 6,
    });
    expect(execute?.status).toEqual({ code: 1 }); // SpanStatusCode.OK
    expect(execute?.events).toEqual([]);
    expectNoValues(everything(spans));

    const { resourceMetrics } = await reader.collect();
    const findings = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'portcullis.mask.findings');
    expect(findings?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'portcullis.detector': 'github-token', 'portcullis.target': 'warehouse' }, 3],
      [{ 'portcullis.detector': 'column', 'portcullis.target': 'warehouse' }, 2],
      [{ 'portcullis.detector': 'email', 'portcullis.target': 'warehouse' }, 1],
    ]);
    expectNoValues(JSON.stringify(resourceMetrics.scopeMetrics));
  });

  it('a failing execution ends its span with the error code as status, never the message', async () => {
    const { exporter, session } = await setup();
    await expect(session.run({ sql: SQL, fail: true })).rejects.toMatchObject({ code: '42P01' });
    await session.end();
    const execute = exporter.getFinishedSpans().find((s) => s.name === 'portcullis.execute');
    // The safe error's message was masked (one token): counted, and only the code is shown.
    expect(execute?.attributes).toEqual({
      'portcullis.target': 'warehouse',
      'portcullis.protocol': 'postgres',
      'portcullis.operations': ['select'],
      'portcullis.effect': 'allow',
      'portcullis.rules': ['read'],
      'portcullis.error': '42P01',
      'portcullis.findings.github-token': 1,
      'portcullis.findings': 1,
    });
    expect(execute?.status).toEqual({ code: 2, message: '42P01' }); // SpanStatusCode.ERROR
    expectNoValues(everything(exporter.getFinishedSpans()));
  });

  it('a denied request has an authorize span and no execute span', async () => {
    const { exporter, session } = await setup();
    await expect(session.run({ sql: `DROP TABLE customers_${MARKER}` })).rejects.toMatchObject({
      code: 'ERR_DENIED',
    });
    await session.end();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes['portcullis.effect']])).toEqual([
      ['portcullis.authorize', 'deny'],
    ]);
    expectNoValues(everything(spans));
  });
});

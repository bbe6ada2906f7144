// Telemetry of the gated pool against a real server (PORTCULLIS_PG_URL) or PGlite, with the
// OpenTelemetry SDK's in-memory exporter: one query is an authorize span and an execute span
// with exactly the target, operations, effect, rule ids, status and findings by detector, and
// neither SQL text, parameters nor result values appear in any span.
import { createPortcullis, parsePolicy, type Portcullis } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { alice, createSchema, POLICY, secrets } from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;
let portcullis: Portcullis;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  portcullis = await createPortcullis({
    policy: parsePolicy(POLICY),
    telemetry: {
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    },
  });
  gated = createGatedPool({ config: { connectionString: db.url, max: 2 }, portcullis, target: 'warehouse' });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

describe('telemetry of the gated pool', () => {
  it('a query: authorize and execute spans, exact attributes, no SQL text or result value', async () => {
    exporter.reset();
    const sql = 'SELECT id, email, password, note FROM users WHERE name = $1';
    const result = await gated.as(alice).query(sql, ['Carol']);
    expect(result.rows).toEqual([
      {
        id: 1,
        email: '[REDACTED:email]',
        password: '[REDACTED:column]',
        note: 'key [REDACTED:aws-access-key-id]',
      },
    ]);

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['portcullis.authorize', 'portcullis.execute']);
    expect(spans[0]?.attributes).toEqual({
      'portcullis.target': 'warehouse',
      'portcullis.operations': ['select'],
      'portcullis.effect': 'allow',
      'portcullis.rules': ['analysts-read'],
      'portcullis.outcome': 'allowed',
    });
    expect(spans[1]?.attributes).toEqual({
      'portcullis.target': 'warehouse',
      'portcullis.protocol': 'postgres',
      'portcullis.operations': ['select'],
      'portcullis.effect': 'allow',
      'portcullis.rules': ['analysts-read'],
      'portcullis.rows': 1,
      'portcullis.findings.email': 1,
      'portcullis.findings.column': 1,
      'portcullis.findings.aws-access-key-id': 1,
      'portcullis.findings': 3,
    });
    expect(spans[1]?.status).toEqual({ code: 1 }); // SpanStatusCode.OK
    const shown = JSON.stringify(
      spans.map((s) => ({ attributes: s.attributes, events: s.events, status: s.status, links: s.links })),
    );
    for (const value of [sql, 'users', 'Carol', secrets.email, secrets.password, secrets.awsKey]) {
      expect(shown).not.toContain(value);
    }
  });

  it('a failing query ends its execute span with the SQLSTATE, not the message', async () => {
    exporter.reset();
    await expect(gated.as(alice).query('SELECT secret_column FROM no_such_table')).rejects.toMatchObject({
      code: '42P01',
    });
    const execute = exporter.getFinishedSpans().find((s) => s.name === 'portcullis.execute');
    expect(execute?.attributes['portcullis.error']).toBe('42P01');
    expect(execute?.status).toEqual({ code: 2, message: '42P01' }); // SpanStatusCode.ERROR
    const shown = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.events, s.status]));
    expect(shown).not.toContain('no_such_table');
    expect(shown).not.toContain('secret_column');
  });
});

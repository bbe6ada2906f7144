// Spans, metrics and logs with the OpenTelemetry SDK's in-memory exporter: what operators see,
// and that no request value or result ever reaches them.
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createPortcullis } from '../engine/create-portcullis.js';
import { createMemoryApprovalStore } from '../approvals/memory-store.js';
import { parsePolicy } from '../policy/load-policy.js';
import type { Principal } from '../types.js';
import type { PortcullisLogger } from './logger.js';
import { createTelemetry } from './telemetry.js';

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
  - { id: read, effect: allow, when: { operations: [select] } }
  - { id: no-drop, effect: deny, when: { operations: [drop] }, reason: never }
  - id: writes
    effect: review
    when: { operations: [delete] }
    review: { approvers: { groups: [managers] } }
`);
const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const secret = ['hunter', '2-', 'value'].join('');

function setup() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const logs: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const logger: PortcullisLogger = {
    debug: (obj, msg) => logs.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
  };
  return { exporter, reader, logs, telemetry: { tracerProvider, meterProvider, logger } };
}

async function metricsOf(
  reader: TestReader,
): Promise<Map<string, { attributes: Record<string, unknown>; value: unknown }[]>> {
  const { resourceMetrics }: { resourceMetrics: ResourceMetrics } = await reader.collect();
  const out = new Map<string, { attributes: Record<string, unknown>; value: unknown }[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      out.set(
        metric.descriptor.name,
        metric.dataPoints.map((p) => ({
          attributes: p.attributes,
          value: p.value,
        })),
      );
    }
  }
  return out;
}

describe('telemetry', () => {
  it('a span per authorization with target, operations, effect and rule ids, never the request', async () => {
    const { exporter, telemetry } = setup();
    const engine = await createPortcullis({ policy, telemetry });
    await engine.authorize({
      principal: alice,
      target: 'warehouse',
      request: { type: 'sql', sql: `SELECT * FROM users WHERE password = '${secret}'` },
    });
    await expect(
      engine.authorize({
        principal: alice,
        target: 'warehouse',
        request: { type: 'sql', sql: 'DROP TABLE users' },
      }),
    ).rejects.toThrow();
    const spans = exporter.getFinishedSpans();
    expect(
      spans.map((s) => [s.name, s.attributes['portcullis.effect'], s.attributes['portcullis.outcome']]),
    ).toEqual([
      ['portcullis.authorize', 'allow', 'allowed'],
      ['portcullis.authorize', 'deny', 'denied'],
    ]);
    expect(spans[0]?.attributes).toMatchObject({
      'portcullis.target': 'warehouse',
      'portcullis.operations': ['select'],
      'portcullis.rules': ['read'],
    });
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(secret);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('users');
  });

  it('metrics: decisions by effect, approval wait, classification time, findings by detector', async () => {
    const { reader, telemetry } = setup();
    let now = Date.UTC(2026, 0, 1);
    const engine = await createPortcullis({
      policy,
      telemetry,
      approvals: createMemoryApprovalStore(),
      now: () => new Date(now),
    });
    await engine.authorize({
      principal: alice,
      target: 'warehouse',
      request: { type: 'sql', sql: 'SELECT 1' },
    });
    await expect(
      engine.authorize({
        principal: alice,
        target: 'warehouse',
        request: { type: 'sql', sql: 'DELETE FROM t' },
      }),
    ).rejects.toThrow();
    now += 5000;
    engine.telemetry.findings({ 'aws-access-key': 2, email: 1, none: 0 }, 'warehouse');
    const m = await metricsOf(reader);
    expect(m.get('portcullis.decisions')?.map((p) => [p.attributes['portcullis.effect'], p.value])).toEqual([
      ['allow', 1],
      ['review', 1],
    ]);
    expect(m.get('portcullis.approval.wait')?.[0]?.attributes['portcullis.outcome']).toBe('pending');
    expect(m.get('portcullis.classify.duration')?.[0]?.attributes['portcullis.protocol']).toBe('postgres');
    expect(
      m.get('portcullis.mask.findings')?.map((p) => [p.attributes['portcullis.detector'], p.value]),
    ).toEqual([
      ['aws-access-key', 2],
      ['email', 1],
    ]);
  });

  it('execution spans for the gate, with an error code and no result', async () => {
    const { exporter, telemetry } = setup();
    const engine = await createPortcullis({ policy, telemetry });
    const { decision } = await engine.authorize({
      principal: alice,
      target: 'warehouse',
      request: { type: 'sql', sql: 'SELECT 1' },
    });
    const span = engine.telemetry.startExecution({ target: 'warehouse', protocol: 'postgres', decision });
    span.end({ error: '42P01' });
    span.end(); // a second end is ignored
    const execute = exporter.getFinishedSpans().filter((s) => s.name === 'portcullis.execute');
    expect(execute).toHaveLength(1);
    expect(execute[0]?.attributes).toMatchObject({
      'portcullis.effect': 'allow',
      'portcullis.error': '42P01',
    });
  });

  it('logs through an injected pino-style logger: debug for allows, info for denials', async () => {
    const { logs, telemetry } = setup();
    const engine = await createPortcullis({ policy, telemetry });
    await engine.authorize({
      principal: alice,
      target: 'warehouse',
      request: { type: 'sql', sql: `SELECT '${secret}'` },
    });
    await expect(
      engine.authorize({
        principal: alice,
        target: 'warehouse',
        request: { type: 'sql', sql: 'DROP TABLE t' },
      }),
    ).rejects.toThrow();
    expect(logs.map((l) => [l.level, l.msg])).toEqual([
      ['debug', 'portcullis: request authorized'],
      ['info', 'portcullis: request denied'],
    ]);
    expect(logs[1]?.obj).toMatchObject({
      target: 'warehouse',
      effect: 'deny',
      rules: ['no-drop'],
      code: 'ERR_DENIED',
    });
    expect(JSON.stringify(logs)).not.toContain(secret);
  });

  it('traces through a global provider the host registers after the engine was made', async () => {
    const exporter = new InMemorySpanExporter();
    const engine = await createPortcullis({ policy });
    const request = { type: 'sql', sql: 'SELECT 1' } as const;
    await engine.authorize({ principal: alice, target: 'warehouse', request });
    expect(
      trace.setGlobalTracerProvider(
        new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
      ),
    ).toBe(true);
    try {
      const { decision } = await engine.authorize({ principal: alice, target: 'warehouse', request });
      engine.telemetry.startExecution({ target: 'warehouse', decision }).end({ rows: 1 });
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
        'portcullis.authorize',
        'portcullis.execute',
      ]);
    } finally {
      trace.disable();
    }
  });

  it('is a no-op with nothing configured, and a throwing observer never changes a decision', async () => {
    const quiet = await createPortcullis({ policy });
    await expect(
      quiet.authorize({ principal: alice, target: 'warehouse', request: { type: 'sql', sql: 'SELECT 1' } }),
    ).resolves.toMatchObject({ decision: { effect: 'allow' } });
    const boom = (): never => {
      throw new Error('observer down');
    };
    const broken = await createPortcullis({
      policy,
      telemetry: { logger: { debug: boom, info: boom, warn: boom, error: boom } },
    });
    await expect(
      broken.authorize({ principal: alice, target: 'warehouse', request: { type: 'sql', sql: 'SELECT 1' } }),
    ).resolves.toMatchObject({ decision: { effect: 'allow' } });
    await expect(
      broken.authorize({
        principal: alice,
        target: 'warehouse',
        request: { type: 'sql', sql: 'DROP TABLE t' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_DENIED' });
    expect(() => {
      createTelemetry().findings({ x: 1 });
    }).not.toThrow();
  });

  it('describes each span by its own target and outcome when one decision object is reused', async () => {
    const { exporter, reader, telemetry } = setup();
    const t = createTelemetry(telemetry);
    const allowed = {
      effect: 'allow' as const,
      rules: ['read'],
      reasons: [],
      actions: [{ action: { operation: 'select' }, effect: 'allow' as const, rules: ['read'], reasons: [] }],
      recordingRequired: false,
    };
    t.startAuthorization('warehouse').end(allowed, 'allowed');
    t.startAuthorization('lake').end(allowed, 'allowed');
    t.startAuthorization('warehouse').end(allowed, 'review-pending');
    t.startExecution({ target: 'warehouse', decision: allowed }).end({ rows: 1 });
    t.startExecution({ target: 'warehouse', protocol: 'postgres', decision: allowed }).end({ rows: 2 });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.attributes['portcullis.target'], s.attributes['portcullis.outcome']])).toEqual(
      [
        ['warehouse', 'allowed'],
        ['lake', 'allowed'],
        ['warehouse', 'review-pending'],
        ['warehouse', undefined],
        ['warehouse', undefined],
      ],
    );
    expect(spans.map((s) => s.attributes['portcullis.protocol'])).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'postgres',
    ]);
    expect(spans.map((s) => s.attributes['portcullis.rows'])).toEqual([
      undefined,
      undefined,
      undefined,
      1,
      2,
    ]);
    const m = await metricsOf(reader);
    expect(m.get('portcullis.decisions')?.map((p) => [p.attributes['portcullis.target'], p.value])).toEqual([
      ['warehouse', 2],
      ['lake', 1],
    ]);
  });
});

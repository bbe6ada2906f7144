import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMemoryApprovalStore,
  createPortcullis,
  parsePolicy,
  ReviewRequiredError,
  type ApprovalStore,
  type Principal,
} from '@portcullis/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWebhookNotifier,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
  type WebhookBody,
  type WebhookDeliveryReport,
} from '../src/index.js';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A loopback receiver answering with `statuses` in turn (then 200), checking nothing itself. */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/hook`, got, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
const EMAIL = ['erin', 'west'].join('.') + '@example.org';

async function engine(store: ApprovalStore) {
  return createPortcullis({
    approvals: store,
    policy: parsePolicy(
      JSON.stringify({
        version: 1,
        targets: { warehouse: { protocol: 'postgres' } },
        rules: [
          {
            id: 'writes-need-a-manager',
            effect: 'review',
            when: { operations: ['update'] },
            review: { approvers: { groups: ['managers'] } },
            reason: 'Writes need a manager',
          },
        ],
      }),
      { format: 'json' },
    ),
  });
}

async function requestReview(store: ApprovalStore, sql: string): Promise<string> {
  const p = await engine(store);
  try {
    await p.authorize({ principal: alice, target: 'warehouse', request: { type: 'sql', sql } });
  } catch (err) {
    if (err instanceof ReviewRequiredError) return err.approvalId;
    throw err;
  }
  throw new Error('expected review');
}

describe('webhooks', () => {
  it('posts a signed, masked notification for a new request and for each vote', async () => {
    const r = await receiver();
    servers.push(r.server);
    const store = createMemoryApprovalStore();
    const secret = randomBytes(32);
    const notifier = createWebhookNotifier({
      store,
      endpoints: [{ url: r.url, secret }],
      consoleUrl: 'https://ops.example.com/approvals',
    });
    const id = await requestReview(store, `UPDATE customers SET email = '${EMAIL}' WHERE id = 1`);
    await notifier.idle();
    await (await engine(store)).approvals.approve(id, bob, 'fine');
    await notifier.idle();
    await notifier.close();

    expect(r.got).toHaveLength(2);
    const bodies = r.got.map((g) => {
      const deliveryId = verifyWebhookSignature({ body: g.body, headers: g.headers, secret });
      const body = JSON.parse(g.body) as WebhookBody;
      expect(body.id).toBe(deliveryId);
      expect(g.headers['idempotency-key']).toBe(deliveryId);
      return body;
    });
    expect(bodies.map((b) => [b.type, b.approval.status])).toEqual([
      ['approval.created', 'pending'],
      ['approval.voted', 'approved'],
    ]);
    expect(bodies[0]?.approval.id).toBe(id);
    expect(bodies[0]?.approval.actors).toEqual(['copilot']);
    expect(bodies[0]?.url).toBe(`https://ops.example.com/approvals/approvals/${id}`);
    expect(r.got.map((g) => g.body).join('')).not.toContain(EMAIL);
    expect(bodies[0]?.approval.request).toContain('UPDATE customers SET email =');
  });

  it('retries 5xx answers with the same delivery id and a fresh signature, then delivers', async () => {
    const r = await receiver([503, 500]);
    servers.push(r.server);
    const store = createMemoryApprovalStore();
    const secret = randomBytes(32);
    const reports: WebhookDeliveryReport[] = [];
    const notifier = createWebhookNotifier({
      store,
      endpoints: [{ url: r.url, secret }],
      baseDelayMs: 1,
      maxDelayMs: 5,
      onDelivery: (x) => reports.push(x),
    });
    await requestReview(store, 'UPDATE t SET a = 1');
    await notifier.idle();
    await notifier.close();
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.headers[WEBHOOK_HEADERS.id])).size).toBe(1);
    for (const g of r.got) verifyWebhookSignature({ body: g.body, headers: g.headers, secret });
    expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 3, status: 200 })]);
  });

  it('does not retry an answer that will not change (400) and gives up after maxAttempts on 500s', async () => {
    const bad = await receiver([400]);
    const down = await receiver([500, 500, 500, 500]);
    servers.push(bad.server, down.server);
    const store = createMemoryApprovalStore();
    const reports: WebhookDeliveryReport[] = [];
    const notifier = createWebhookNotifier({
      store,
      endpoints: [
        { url: bad.url, secret: randomBytes(32) },
        { url: down.url, secret: randomBytes(32) },
      ],
      baseDelayMs: 1,
      maxDelayMs: 2,
      maxAttempts: 3,
      onDelivery: (x) => reports.push(x),
    });
    await requestReview(store, 'UPDATE t SET a = 2');
    await notifier.idle();
    await notifier.close();
    expect(bad.got).toHaveLength(1);
    expect(down.got).toHaveLength(3);
    expect(reports.map((x) => [x.url, x.outcome, x.status])).toEqual(
      expect.arrayContaining([
        [bad.url, 'failed', 400],
        [down.url, 'failed', 500],
      ]),
    );
  });

  it('never blocks or changes a decision when the endpoint is unreachable or hangs', async () => {
    const hang = createServer(() => {
      // never answers
    });
    servers.push(hang);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const hangUrl = `http://127.0.0.1:${String((hang.address() as AddressInfo).port)}/`;
    const store = createMemoryApprovalStore();
    const reports: WebhookDeliveryReport[] = [];
    const notifier = createWebhookNotifier({
      store,
      endpoints: [
        { url: 'http://127.0.0.1:1/closed', secret: randomBytes(32) },
        { url: hangUrl, secret: randomBytes(32) },
      ],
      baseDelayMs: 1,
      maxDelayMs: 2,
      maxAttempts: 2,
      timeoutMs: 200,
      onDelivery: (x) => reports.push(x),
    });
    // The review is created and reported to the caller whatever the webhooks do.
    const id = await requestReview(store, 'UPDATE t SET a = 3');
    expect((await store.get(id, new Date()))?.status).toBe('pending');
    await notifier.idle();
    hang.closeAllConnections();
    await notifier.close();
    expect(reports.map((x) => x.outcome)).toEqual(['failed', 'failed']);
    expect(reports.find((x) => x.url === hangUrl)?.error).toBe('timed out');
  });

  it('sends a Slack-compatible body with request text that cannot form links or mentions', async () => {
    const r = await receiver();
    servers.push(r.server);
    const store = createMemoryApprovalStore();
    const notifier = createWebhookNotifier({
      store,
      endpoints: [{ url: r.url, secret: randomBytes(32), format: 'slack' }],
    });
    await requestReview(store, "UPDATE t SET note = '<!channel> <https://evil.example|click>'");
    await notifier.idle();
    await notifier.close();
    const body = JSON.parse(r.got[0]?.body ?? '{}') as { text: string; blocks: unknown[] };
    expect(body.text).toBe('Approval needed: alice via copilot on warehouse');
    const all = JSON.stringify(body.blocks);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt;');
  });

  it('only sends the events an endpoint asks for', async () => {
    const r = await receiver();
    servers.push(r.server);
    const store = createMemoryApprovalStore();
    const notifier = createWebhookNotifier({
      store,
      endpoints: [{ url: r.url, secret: randomBytes(32), events: ['voted'] }],
    });
    const id = await requestReview(store, 'UPDATE t SET a = 4');
    await (await engine(store)).approvals.deny(id, bob);
    await notifier.idle();
    await notifier.close();
    expect(r.got.map((g) => (JSON.parse(g.body) as WebhookBody).approval.status)).toEqual(['denied']);
  });

  it('refuses short secrets and non-http URLs', () => {
    const store = createMemoryApprovalStore();
    expect(() =>
      createWebhookNotifier({ store, endpoints: [{ url: 'http://127.0.0.1/', secret: randomBytes(16) }] }),
    ).toThrow(/at least 32 bytes/);
    expect(() =>
      createWebhookNotifier({ store, endpoints: [{ url: 'file:///etc/passwd', secret: randomBytes(32) }] }),
    ).toThrow(/http: or https:/);
  });

  // Node fires a timer set past 2^31 - 1 ms after 1 ms: such a delay or timeout would mean
  // "at once", so it is refused with the limit.
  it('refuses delays and timeouts longer than a timer can wait', () => {
    const store = createMemoryApprovalStore();
    const endpoints = [{ url: 'http://127.0.0.1/', secret: randomBytes(32) }];
    for (const name of ['baseDelayMs', 'maxDelayMs', 'timeoutMs'] as const) {
      expect(() => createWebhookNotifier({ store, endpoints, [name]: 2 ** 31 })).toThrow(
        new RegExp(`${name} must be .* at most 2147483647`),
      );
      expect(() => createWebhookNotifier({ store, endpoints, [name]: 2 ** 31 - 1 }).close()).not.toThrow();
    }
  });
});

describe('verifyWebhookSignature', () => {
  const secret = randomBytes(32);
  const now = new Date('2026-12-06T08:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);
  const body = '{"id":"d1"}';
  const headers = (over: Record<string, string> = {}) => ({
    [WEBHOOK_HEADERS.id]: 'd1',
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signWebhook({ id: 'd1', timestamp, body, secret }),
    ...over,
  });

  it('accepts an intact delivery and returns its id', () => {
    expect(verifyWebhookSignature({ body, headers: headers(), secret, now: () => now })).toBe('d1');
  });

  it.each([
    ['a changed body', { body: '{"id":"d2"}' }, /does not match/],
    ['another delivery id', { headers: headers({ [WEBHOOK_HEADERS.id]: 'd2' }) }, /does not match/],
    ['a wrong secret', { secret: randomBytes(32) }, /does not match/],
    ['an old timestamp (replay)', { now: () => new Date(now.getTime() + 301_000) }, /replay window/],
    [
      'no signature',
      { headers: { [WEBHOOK_HEADERS.id]: 'd1', [WEBHOOK_HEADERS.timestamp]: String(timestamp) } },
      /missing/,
    ],
  ])('rejects %s', (_name, change, error) => {
    expect(() =>
      verifyWebhookSignature({ body, headers: headers(), secret, now: () => now, ...change }),
    ).toThrow(error);
  });
});

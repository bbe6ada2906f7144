// Red-team tests of webhook signature verification (the receiver side) and of what a
// notification carries: missing/forged/alternative-algorithm signatures, replays outside the
// window, header smuggling, body tampering, and masking of request text.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMemoryApprovalStore,
  createPortcullis,
  parsePolicy,
  ReviewRequiredError,
} from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { createWebhookNotifier, signWebhook, verifyWebhookSignature, WEBHOOK_HEADERS } from '../src/index.js';

const secret = randomBytes(32);
const now = new Date('2031-05-05T10:00:00Z');
const ts = Math.floor(now.getTime() / 1000);
const body = JSON.stringify({ id: 'd1', type: 'approval.voted', approval: { status: 'approved' } });

function verify(headers: Record<string, string | string[] | undefined>, b = body, at = now): string {
  try {
    return verifyWebhookSignature({ body: b, headers, secret, now: () => at });
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

const good = (id = 'd1', t = ts, b = body): Record<string, string> => ({
  [WEBHOOK_HEADERS.id]: id,
  [WEBHOOK_HEADERS.timestamp]: String(t),
  [WEBHOOK_HEADERS.signature]: signWebhook({ id, timestamp: t, body: b, secret }),
});

describe('red team: webhook signatures', () => {
  it('accepts the genuine delivery', () => {
    expect(verify(good())).toBe('d1');
  });

  it('refuses missing, empty, forged and alternative-algorithm signatures', () => {
    const h = good();
    const mac = (alg: string): string =>
      createHmac(alg, secret)
        .update(`d1.${String(ts)}.${body}`)
        .digest('hex');
    const variants: Record<string, string | string[] | undefined> = {
      missing: undefined,
      empty: '',
      'v1= only': 'v1=',
      'bare hex': mac('sha256'),
      'v0 prefix': `v0=${mac('sha256')}`,
      'V1 upper': `V1=${mac('sha256')}`,
      sha1: `v1=${mac('sha1')}`,
      sha512: `v1=${mac('sha512')}`,
      'upper hex': `v1=${mac('sha256').toUpperCase()}`,
      truncated: `v1=${mac('sha256').slice(0, 32)}`,
      'array of two': [h[WEBHOOK_HEADERS.signature] as string, 'v1=00'],
      'hmac with empty key': `v1=${createHmac('sha256', Buffer.alloc(0))
        .update(`d1.${String(ts)}.${body}`)
        .digest('hex')}`,
    };
    for (const [name, sig] of Object.entries(variants)) {
      const r = verify({ ...h, [WEBHOOK_HEADERS.signature]: sig });
      expect(r, name).toMatch(/^refused/);
    }
  });

  it('refuses a changed body, id or timestamp, and replays outside the window', () => {
    const h = good();
    expect(verify(h, body.replace('approved', 'denied'))).toMatch(/^refused/);
    expect(verify({ ...h, [WEBHOOK_HEADERS.id]: 'd2' })).toMatch(/^refused/);
    expect(verify({ ...h, [WEBHOOK_HEADERS.timestamp]: String(ts + 1) })).toMatch(/^refused/);
    expect(verify(h, body, new Date(now.getTime() + 301_000))).toMatch(/^refused/);
    expect(verify(h, body, new Date(now.getTime() - 301_000))).toMatch(/^refused/);
    for (const t of [
      `+${String(ts)}`,
      `${String(ts)}.0`,
      ` ${String(ts)}`,
      `0x${ts.toString(16)}`,
      `${String(ts)}e0`,
    ]) {
      expect(verify({ ...h, [WEBHOOK_HEADERS.timestamp]: t }), t).toMatch(/^refused/);
    }
    // moving the boundary between id, timestamp and body does not keep a signature valid
    const shifted = {
      ...h,
      [WEBHOOK_HEADERS.id]: `d1.${String(ts)}`,
      [WEBHOOK_HEADERS.timestamp]: String(ts),
    };
    expect(verify(shifted)).toMatch(/^refused/);
  });

  it('a notifier refuses short secrets, and masks request text that leaves the process', async () => {
    const store = createMemoryApprovalStore();
    expect(() =>
      createWebhookNotifier({ store, endpoints: [{ url: 'http://127.0.0.1:9/h', secret: randomBytes(31) }] }),
    ).toThrow();
    const got: { headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/h`;
    const notifier = createWebhookNotifier({
      store,
      endpoints: [
        { url, secret },
        { url, secret, format: 'slack' },
      ],
    });
    const p = await createPortcullis({
      policy: parsePolicy(
        JSON.stringify({
          version: 1,
          targets: { warehouse: { protocol: 'postgres' } },
          rules: [
            {
              id: 'w',
              effect: 'review',
              when: { operations: ['update'] },
              review: { approvers: { groups: ['managers'] } },
            },
          ],
        }),
        { format: 'json' },
      ),
      approvals: store,
    });
    const email = ['maya', 'lin'].join('.') + '@example.org';
    const awsKey = ['AKIA', 'QZ7X', 'M4TN', 'R2WB', 'K8PD'].join('');
    await p
      .authorize({
        principal: { subject: 'alice', groups: [], kind: 'human' },
        target: 'warehouse',
        request: {
          type: 'sql',
          sql: `UPDATE t SET contact = '${email}', key = '${awsKey}', note = '<@here> <!channel>'`,
        },
      })
      .catch((e: unknown) => {
        if (!(e instanceof ReviewRequiredError)) throw e;
      });
    await notifier.idle();
    await notifier.close();
    server.close();
    expect(got.length).toBe(2);
    for (const g of got) {
      expect(g.body).not.toContain(email);
      expect(g.body).not.toContain(awsKey);
      if (g.body.includes('"blocks"')) {
        // Slack: request text cannot form mentions or links
        expect(g.body).not.toContain('<!channel>');
        expect(g.body).not.toContain('<@here>');
      }
      const id = verifyWebhookSignature({ body: g.body, headers: g.headers, secret });
      expect(id).toBe(g.headers[WEBHOOK_HEADERS.id]);
    }
  });
});

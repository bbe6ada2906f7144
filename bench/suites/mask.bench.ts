// Masking throughput on 1 MB of mixed text (logs, JSON, SQL rows, code, env files) with secrets
// sprinkled in, all generated here at run time. Beside it, in the same run: secretlint 12
// (@secretlint/core lintSource with the recommended preset) over the same text, and streaming
// the same text through the masking Transform in 4 KB chunks beside masking the whole buffer.
import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import { createMasker } from '@portcullis/core';
import { lintSource } from '@secretlint/core';
import {
  creator as recommended,
  rules as recommendedRules,
} from '@secretlint/secretlint-rule-preset-recommend';
import { evaluateMasking } from '../../packages/core/test/mask-eval/evaluate.js';
import type { BenchSuite } from '../harness.js';

let seed = 0x5eed;
const next = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  // The low bits of a power-of-two LCG cycle quickly; use the high ones.
  return seed >>> 12;
};
const pick = <T>(list: readonly T[]): T => list[next() % list.length]!;
const chars = (alphabet: string, n: number): string => {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[next() % alphabet.length]!;
  return out;
};
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';
const B64URL = B62 + '-_';
const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const luhn = (digits: string): string => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
};

const secrets: readonly (() => string)[] = [
  () => `GITHUB_TOKEN=ghp_${chars(B62, 36)}`,
  () => `aws_access_key_id = AKIA${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
  () =>
    `Authorization: Bearer ${b64url({ alg: 'HS256' })}.${b64url({ sub: chars(HEX, 8) })}.${chars(B64URL, 43)}`,
  () => `DATABASE_URL=postgres://app:${chars(B62, 20)}@db.internal:5432/app`,
  () => `"password": "${chars(B62, 14)}"`,
  () => `contact: ${chars('abcdefghij', 6)}@example.com`,
  () => `card=${luhn('4' + chars('0123456789', 14))}`,
  () => `STRIPE_KEY=sk_live_${chars(B62, 24)}`,
  () => `slack: xoxb-${chars('0123456789', 12)}-${chars('0123456789', 13)}-${chars(B62, 24)}`,
];

const filler: readonly (() => string)[] = [
  () =>
    `2024-05-01T12:${String(next() % 60).padStart(2, '0')}:00.${next() % 1000}Z INFO http request_id=${chars(HEX, 8)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 12)} method=GET path=/api/v1/orders/${next() % 100000} status=200 duration_ms=${next() % 500}`,
  () =>
    `{"id":${next() % 100000},"user":{"name":"user${next() % 1000}","roles":["reader"]},"items":[{"sku":"SKU-${next() % 9999}","qty":${next() % 9}}],"total":${(next() % 100000) / 100},"created_at":"2024-05-01T12:00:00Z"}`,
  () =>
    `INSERT INTO orders (id, customer_id, total, status, created_at) VALUES (${next() % 100000}, ${next() % 5000}, ${(next() % 100000) / 100}, 'shipped', '2024-05-01 12:00:00');`,
  () =>
    `  const result = await client.query('SELECT id, name FROM users WHERE id = $1', [id]); // ${chars(HEX, 7)}`,
  () => `commit ${chars(HEX, 40)}\nAuthor: Dev <dev@example.org>\n\n    Fix retry logic in worker pool`,
  () => `image: registry.example.com/app@sha256:${chars(HEX, 64)}`,
  () => `LOG_LEVEL=info\nPORT=8080\nFEATURE_FLAGS=search,checkout`,
  () =>
    `10.0.${next() % 255}.${next() % 255} - - [01/May/2024:12:00:00 +0000] "GET /index.html HTTP/1.1" 200 ${next() % 50000}`,
];

function mixedText(size: number): string {
  const lines: string[] = [];
  let length = 0;
  while (length < size) {
    const line = next() % 20 === 0 ? pick(secrets)() : pick(filler)();
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n').slice(0, size);
}

const text = mixedText(1 << 20);
const bytes = Buffer.from(text, 'utf8');
const masker = createMasker();
const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] };
const secretlint = () =>
  lintSource({ source: { content: text, filePath: 'bench.txt', contentType: 'text' }, options: { config } });

const CHUNK = 4096;
const chunks: Buffer[] = [];
for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, i + CHUNK));

function streamed(): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = masker.createStream();
    let out = 0;
    stream.on('data', (c: Buffer) => {
      out += c.length;
    });
    stream.on('end', () => {
      resolve(out);
    });
    stream.on('error', reject);
    for (const c of chunks) stream.write(c);
    stream.end();
  });
}

const ourFindings = masker.maskText(text).findings.length;
const theirFindings = (await secretlint()).messages.length;
// The streamed bytes must equal the whole-buffer bytes; a benchmark of a wrong answer is no use.
const wholeOut = Buffer.from(masker.maskText(text).text);
const streamOut: Buffer[] = [];
await new Promise<void>((resolve) => {
  const s = masker.createStream();
  s.on('data', (c: Buffer) => streamOut.push(c));
  s.on('end', resolve);
  for (const c of chunks) s.write(c);
  s.end();
});
if (!Buffer.concat(streamOut).equals(wholeOut))
  throw new Error('streamed output differs from whole-buffer output');
// Quality beside speed, in the same run: the masking evaluation (pnpm eval:masking).
const quality = evaluateMasking(5);
const worstRecall = quality.recall.reduce((a, b) => (b.recall < a.recall ? b : a));
const fingerprint = createHmac('sha256', 'bench').update(wholeOut).digest('hex').slice(0, 12);

export const suites: readonly BenchSuite[] = [
  {
    name: 'masking: 1 MB of mixed text vs secretlint 12',
    description:
      'createMasker().maskText over 1 MB of logs, JSON, SQL, code and env lines with ~5% secret lines, beside @secretlint/core lintSource (recommended preset) over the same text.',
    baseline: { name: 'secretlint 12 lintSource (recommended preset)', fn: secretlint },
    tasks: [{ name: 'portcullis maskText (every detector)', fn: () => masker.maskText(text) }],
    bytesPerOp: bytes.length,
    notes: {
      'portcullis detectors': masker.detectors.length,
      'secretlint rules (recommended preset)': recommendedRules.length,
      'portcullis findings': ourFindings,
      'secretlint findings': theirFindings,
      'eval recall (all / lowest category)': `${(quality.totalRecall * 100).toFixed(2)}% / ${(worstRecall.recall * 100).toFixed(2)}% (${worstRecall.category})`,
      'eval negatives masked': `${(quality.totalFalsePositiveRate * 100).toFixed(2)}% of ${quality.totalNegatives}`,
    },
    timeMs: 3000,
  },
  {
    name: 'masking: streaming in 4 KB chunks vs whole buffer',
    description:
      'The masking Transform fed the same 1 MB as 4 KB Buffers, beside maskText on the whole string.',
    baseline: { name: 'maskText (whole buffer)', fn: () => masker.maskText(text) },
    tasks: [{ name: 'createStream, 4 KB chunks', fn: streamed }],
    bytesPerOp: bytes.length,
    notes: { chunks: chunks.length, 'output identical': `yes (${fingerprint})` },
    timeMs: 3000,
  },
];

import { describe, expect, it } from 'vitest';
import { DETECTORS } from './catalog.js';
import { createMasker } from './create-masker.js';
import { createExampleRng } from './lib/example-rng.js';
import type { ScanDefinition } from './lib/definition.js';
import { cardSchemeValid } from './lib/validators.js';
import { listDetectors } from './list-detectors.js';

const masker = createMasker();

describe('detector catalog', () => {
  it('has at least 150 detectors with unique ids, a category and a description', () => {
    const ids = DETECTORS.map((d) => d.id);
    expect(ids.length).toBeGreaterThanOrEqual(150);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of DETECTORS) {
      expect(d.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(['secret', 'pii']).toContain(d.category);
      expect(d.description.length).toBeGreaterThan(10);
      expect(d.positives.length).toBeGreaterThan(0);
      expect(d.negatives.length).toBeGreaterThan(0);
    }
    expect(listDetectors().map((d) => d.id)).toEqual(ids);
  });

  // The card detector's pre-pass starts only where a card scheme may (cardSchemeValid): an
  // epoch timestamp in milliseconds or nanoseconds (13 or 19 digits, `17…`) on every line of a
  // log would otherwise go to the pattern and the Luhn check each time.
  it('starts a card only at a digit some card scheme starts with, and passes epoch timestamps by', () => {
    const card = DETECTORS.find((d): d is ScanDefinition => d.id === 'credit-card' && d.kind === 'scan');
    if (card === undefined) throw new Error('no credit-card detector');
    const digits = '0123456789'.split('');
    // every four-digit prefix, as a 16- and a 19-digit number
    const schemeStarts = digits.filter((d) =>
      Array.from({ length: 1000 }, (_, i) => d + String(i).padStart(3, '0')).some(
        (prefix) => cardSchemeValid(prefix.padEnd(16, '0')) || cardSchemeValid(prefix.padEnd(19, '0')),
      ),
    );
    expect(schemeStarts).toEqual(['2', '3', '4', '5', '6']);
    expect(digits.filter((d) => card.seed.first(d.charCodeAt(0)))).toEqual(schemeStarts);
    const line = '1733587200123 INFO ts_ns=1733587200123456789 GET /orders/42 status=200\n';
    expect(masker.maskText(line)).toEqual({ text: line, findings: [] });
  });

  it('uses sticky patterns for keyword detectors and global ones for scans', () => {
    for (const d of DETECTORS) {
      expect(d.pattern.hasIndices).toBe(true);
      if (d.kind === 'keyword') expect(d.pattern.sticky).toBe(true);
      else expect(d.pattern.global).toBe(true);
    }
  });

  it('covers the PII categories', () => {
    const pii = DETECTORS.filter((d) => d.category === 'pii').map((d) => d.id);
    for (const id of ['email', 'credit-card', 'iban', 'us-ssn', 'us-ssn-labelled']) expect(pii).toContain(id);
  });
});

describe.each(DETECTORS.map((d) => [d.id, d] as const))('detector %s', (id, d) => {
  it.each(d.positives.map((p, i) => [i, p] as const))(
    'masks exactly the secret of positive example %i',
    (i, make) => {
      for (const seed of [1, 2, 3]) {
        const { text, secret } = make(createExampleRng(seed * 1000 + i));
        expect(text).toContain(secret);
        const result = masker.maskText(text);
        expect(result.text).toBe(text.replace(secret, `[REDACTED:${id}]`));
        const start = text.indexOf(secret);
        expect(result.findings).toContainEqual({
          detector: id,
          category: d.category,
          start,
          end: start + secret.length,
        });
      }
    },
  );

  it.each(d.negatives.map((n) => [n] as const))('leaves %j unchanged', (text) => {
    expect(masker.maskText(text)).toEqual({ text, findings: [] });
  });
});

// One planted secret per detector, in realistic surrounding text.
function plantedDocument(seed: number): { text: string; secrets: string[] } {
  const rng = createExampleRng(seed);
  const secrets: string[] = [];
  const parts: string[] = [];
  DETECTORS.forEach((d, i) => {
    const make = d.positives[rng.int(d.positives.length)]!;
    const { text, secret } = make(createExampleRng(seed * 7919 + i));
    secrets.push(secret);
    parts.push(`2024-05-01T12:00:${String(i % 60).padStart(2, '0')}Z INFO worker-${i} ${text}`);
  });
  return { text: parts.join('\n') + '\n', secrets };
}

describe('planted secrets', () => {
  it.each([11, 12, 13])('masks one secret of every detector in a log (seed %i)', (seed) => {
    const { text, secrets } = plantedDocument(seed);
    const out = masker.maskText(text).text;
    for (const secret of secrets) expect(out).not.toContain(secret);
    for (const d of DETECTORS) expect(out).toContain(`[REDACTED:${d.id}]`);
  });

  it('masks them in the streamed output too, whatever the chunk size', () => {
    const { text, secrets } = plantedDocument(21);
    const whole = masker.maskText(text).text;
    for (const size of [1, 7, 64, 4096]) {
      const stream = masker.createStream();
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      for (let i = 0; i < text.length; i += size) stream.write(text.slice(i, i + size));
      stream.end();
      const out = Buffer.concat(chunks).toString('utf8');
      expect(out).toBe(whole);
      for (const secret of secrets) expect(out).not.toContain(secret);
    }
  });
});

const BENIGN = [
  'commit 3f2a9c1b7e4d5a6b8c9d0e1f2a3b4c5d6e7f8a9b',
  'Merge: 3f2a9c1 7e4d5a6',
  'request_id=9f1c2e7a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
  'image: registry.example.com/app@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  '"integrity": "sha512-Lj3Hq1C8Z0G3k7y5X9m2P4r6T8v0B2n4M6q8S0u2W4y6A8c0E2g4I6k8O0s2U4w6Y8a0C2e4G6i8K0m2Q4=="',
  'resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#679591c564c3bffaae8454cf0b3df370c3d6911c"',
  'ts=2024-01-15T10:30:00.123Z epoch=1705314600 epoch_ms=1705314600123',
  'Mon, 15 Jan 2024 10:30:00 GMT',
  'client 10.0.12.7:51234 -> 192.168.1.20:5432 via 2001:db8::1',
  'path=/var/lib/postgresql/16/main/base/16384/2619 file=./src/mask/create-masker.ts',
  'C:\\Users\\alice\\AppData\\Local\\Temp\\build-4411',
  'card 4111 1111 1111 1112 order 1234-5678-9012-3456 ref 0000000000000000',
  'version 1.2.3-beta.4+build.5678 node v20.11.1',
  'SELECT id, email_verified, password_hash IS NOT NULL FROM users WHERE id = $1',
  'const token = await getToken(); const password = form.password;',
  'ERROR: duplicate key value violates unique constraint "users_pkey"',
  'GET /api/v1/users?page=2&limit=50 HTTP/1.1 200 1534',
  'sha256sum: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -',
  'uuid 123e4567-e89b-12d3-a456-426614174000 and ULID 01HQ3K5ZQX9Y8W7V6T5S4R3P2N',
  'price: 1299.99 qty: 3 total: 3899.97 phone: +1 415 555 0100',
  'git clone git@github.com:portcullis/portcullis.git',
  'pod/web-7d9f8b6c5d-x2k4z 1/1 Running 0 3d4h',
  '"max_tokens": 1024, "temperature": 0.2',
  '\x1b[32m✓\x1b[0m 42 tests passed (1.2s)',
];

describe('benign corpus', () => {
  it.each(BENIGN.map((t) => [t] as const))('leaves %j unchanged', (text) => {
    expect(masker.maskText(text)).toEqual({ text, findings: [] });
  });

  it('leaves the whole corpus unchanged as one document', () => {
    const text = BENIGN.join('\n');
    expect(masker.maskText(text).text).toBe(text);
  });
});

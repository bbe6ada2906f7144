import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMasker } from './create-masker.js';
import { collectFindings } from './lib/finding-sink.js';
import { createExampleRng, githubStyleToken, withLuhnDigit } from './lib/example-rng.js';
import { resolveDetectorSelection } from './resolve-detector-selection.js';
import { listDetectors } from './list-detectors.js';

const rng = createExampleRng(42);
const TOKEN = githubStyleToken(rng, 'ghp_');
const CARD = withLuhnDigit('4' + rng.digits(14));
const KEY = new Uint8Array(32).fill(7);
const hmac16 = (text: string): string => createHmac('sha256', KEY).update(text).digest('hex').slice(0, 16);

describe('createMasker', () => {
  it('masks value after value as a fresh masker masks each (one engine is reused between them)', () => {
    const texts = [
      `a ${TOKEN} b`,
      `\x1b[31m${TOKEN}\x1b[0m tail`,
      `card ${CARD} and mail someone@example.com`,
      'nothing here',
      TOKEN,
      `partial \x1b[3`,
      `user=u1@example.com ${TOKEN.slice(0, 10)}`,
      `x ${TOKEN} y ${TOKEN}`,
    ];
    const reused = createMasker();
    for (let round = 0; round < 3; round++) {
      for (const text of texts) expect(reused.maskText(text)).toEqual(createMasker().maskText(text));
    }
  });

  it('masks a text from a finding sink while another is being masked (the busy engine is not reused)', () => {
    const m = createMasker();
    const inner: string[] = [];
    let inside = false;
    const outer = collectFindings(
      () => {
        if (inside) return;
        inside = true;
        inner.push(m.maskText(`in ${TOKEN} ${inner.length}`).text);
        inside = false;
      },
      () => m.maskText(`out ${TOKEN} and ${CARD}`).text,
    );
    expect(outer).toBe('out [REDACTED:github-token] and [REDACTED:credit-card]');
    expect(inner).toEqual(['in [REDACTED:github-token] 0', 'in [REDACTED:github-token] 1']);
  });

  it('masks every built-in detector by default, in the redact style', () => {
    const m = createMasker();
    expect(m.detectors.length).toBeGreaterThanOrEqual(40);
    expect(m.maskText(`t=${TOKEN} c=${CARD}`).text).toBe(
      't=[REDACTED:github-token] c=[REDACTED:credit-card]',
    );
  });

  it('runs only the selected detectors', () => {
    const m = createMasker({ detectors: ['pii'] });
    expect(m.maskText(`t=${TOKEN} c=${CARD}`).text).toBe(`t=${TOKEN} c=[REDACTED:credit-card]`);
    expect(createMasker({ detectors: [] }).maskText(`t=${TOKEN}`).text).toBe(`t=${TOKEN}`);
  });

  it.each([
    ['partial', `t=****${TOKEN.slice(-4)}`],
    ['hash', `t=[HASH:github-token:${hmac16(TOKEN)}]`],
    ['keep', `t=${TOKEN}`],
    ['redact', 't=[REDACTED:github-token]'],
  ] as const)('shows findings in the %s style', (style, expected) => {
    const m = createMasker({ style }, { hashKey: KEY });
    const r = m.maskText(`t=${TOKEN}`);
    expect(r.text).toBe(expected);
    expect(r.findings).toEqual([
      { detector: 'github-token', category: 'secret', start: 2, end: 2 + TOKEN.length },
    ]);
  });

  it('hashes equal values equally and different values differently (joinable, keyed)', () => {
    const m = createMasker({ style: 'hash' }, { hashKey: KEY });
    const other = createMasker({ style: 'hash' }, { hashKey: new Uint8Array(32).fill(8) });
    const a = m.maskText(`x ${TOKEN}`).text;
    expect(m.maskText(`y ${TOKEN}`).text.slice(2)).toBe(a.slice(2));
    expect(other.maskText(`x ${TOKEN}`).text).not.toBe(a);
  });

  it('partial keeps at most a quarter of short values and never splits an escape', () => {
    const m = createMasker({ style: 'partial', columns: { pw: 'partial' } });
    expect(m.maskValue('abc', { column: 'pw' })).toBe('****');
    expect(m.maskValue('abcdefgh', { column: 'pw' })).toBe('****gh');
    expect(m.maskValue('abcdefghijklmnop', { column: 'pw' })).toBe('****mnop');
    // Inside a JSON text: the kept tail starts on an escape boundary, so the JSON stays valid.
    const cut = '{"password": "hunter2hunter2\\"xyz"}';
    expect(m.maskText(cut).text).toBe('{"password": "****xyz"}');
    const whole = '{"password": "hunter2hunter2\\"xy"}';
    expect(m.maskText(whole).text).toBe('{"password": "****\\"xy"}');
    expect(JSON.parse(m.maskText(whole).text)).toEqual({ password: '****"xy' });
    expect(m.maskText('{"password": "hunter2hunter2x\\u00e9"}').text).toBe('{"password": "****"}');
  });

  it.each([
    [{ style: 'hash' }, {}],
    [{ columns: { email: 'hash' } }, {}],
    [{ fields: { '*': 'hash' } }, { hashKey: new Uint8Array(8) }],
  ] as const)('requires a hash key of 16+ bytes when hash is used (%j)', (profile, options) => {
    expect(() => createMasker(profile, options)).toThrow(TypeError);
  });

  it.each([[{ style: 'blur' }], [{ detectors: ['secretz'] }], [{ columns: { email: 'scramble' } }], [null]])(
    'rejects a malformed profile %j',
    (profile) => {
      expect(() => createMasker(profile as never)).toThrow(TypeError);
    },
  );
});

describe('resolveDetectorSelection', () => {
  it('expands categories and keeps catalog order without duplicates', () => {
    const pii = listDetectors()
      .filter((d) => d.category === 'pii')
      .map((d) => d.id);
    expect(resolveDetectorSelection(['pii', 'github-token', 'email'])).toEqual(['github-token', ...pii]);
    expect(pii.slice(0, 4)).toEqual(['email', 'credit-card', 'iban', 'us-ssn']);
    expect(resolveDetectorSelection(['all']).length).toBe(
      resolveDetectorSelection(['secrets', 'pii']).length,
    );
    expect(resolveDetectorSelection([])).toEqual([]);
  });

  it('names the unknown detector', () => {
    expect(() => resolveDetectorSelection(['secrets', 'gihtub-token'])).toThrow(
      /unknown detector or category "gihtub-token"/,
    );
  });
});

describe('maskValue and maskRow', () => {
  const m = createMasker(
    {
      columns: { '*password*': 'redact', 'public.users.email': 'hash', ssn: 'partial', notes: 'keep' },
      fields: { apiKey: 'redact' },
    },
    { hashKey: KEY },
  );

  it('applies column rules by name and by source, first match wins', () => {
    expect(m.maskValue('s3cr3t', { column: 'DB_Password' })).toBe('[REDACTED:column]');
    expect(m.maskValue('a@b.example', { column: 'mail', source: 'public.users.email' })).toBe(
      `[HASH:column:${hmac16('a@b.example')}]`,
    );
    expect(m.maskValue('078-05-1120', { column: 'ssn' })).toBe('****20');
    expect(m.maskValue(`see ${TOKEN}`, { column: 'notes' })).toBe(`see ${TOKEN}`);
  });

  it('detects content when no rule applies, keeps types of clean values', () => {
    expect(m.maskValue(`see ${TOKEN}`, { column: 'comment' })).toBe('see [REDACTED:github-token]');
    expect(m.maskValue(42, { column: 'id' })).toBe(42);
    expect(m.maskValue(BigInt(CARD), { column: 'n' })).toBe('[REDACTED:credit-card]');
    expect(m.maskValue(null, { column: 'password' })).toBe(null);
    expect(m.maskValue(true)).toBe(true);
    const date = new Date(0);
    expect(m.maskValue(date)).toBe(date);
  });

  it('masks a value under a secret-looking key even without a rule', () => {
    const plain = createMasker();
    expect(plain.maskValue('hunter2', { column: 'password' })).toBe('[REDACTED:password-assignment]');
    expect(plain.maskValue('hunter2', { field: 'client_secret' })).toBe('hunter2');
    expect(plain.maskValue('hunter2hunter2', { field: 'client_secret' })).toBe(
      '[REDACTED:secret-assignment]',
    );
    expect(plain.maskValue('hunter2', { column: 'username' })).toBe('hunter2');
  });

  it('masks object rows by column and array rows by position, without touching the input', () => {
    const columns = [
      { name: 'id' },
      { name: 'user_password' },
      { name: 'mail', source: 'public.users.email' },
      { name: 'bio' },
    ];
    const row = { id: 1, user_password: 'x', mail: 'a@b.example', bio: `card ${CARD}` };
    const copy = structuredClone(row);
    expect(m.maskRow(row, columns)).toEqual({
      id: 1,
      user_password: '[REDACTED:column]',
      mail: `[HASH:column:${hmac16('a@b.example')}]`,
      bio: 'card [REDACTED:credit-card]',
    });
    expect(row).toEqual(copy);
    expect(m.maskRow([1, 'x', 'a@b.example', 'ok'], columns)).toEqual([
      1,
      '[REDACTED:column]',
      `[HASH:column:${hmac16('a@b.example')}]`,
      'ok',
    ]);
  });

  it('applies a rule to every leaf of a structured value', () => {
    expect(m.maskValue({ a: 'x', b: [1, null] }, { column: 'password_json' })).toEqual({
      a: '[REDACTED:column]',
      b: ['[REDACTED:column]', null],
    });
  });
});

describe('column rules with options', () => {
  const masker = createMasker({
    detectors: [],
    columns: {
      'public.users.email': { style: 'partial', predicates: 'allow' },
      '*password*': { style: 'redact', predicates: 'deny' },
      '*ssn*': 'redact',
    },
  });

  it('applies the style of a rule written with options', () => {
    expect(masker.maskValue('carol@example.com', { column: 'e', source: 'public.users.email' })).not.toBe(
      'carol@example.com',
    );
    expect(masker.maskValue('hunter2', { column: 'password' })).toBe('[REDACTED:column]');
  });

  it('says whether a rule allows predicates', () => {
    expect(masker.columnRule({ name: 'e', source: 'public.users.email' })).toEqual({
      style: 'partial',
      predicates: true,
    });
    expect(masker.columnRule({ name: 'password' })).toEqual({ style: 'redact', predicates: false });
    expect(masker.columnRule({ name: 'ssn' })).toEqual({ style: 'redact', predicates: false });
    expect(masker.columnRule({ name: 'id' })).toBeUndefined();
  });

  it.each([
    [{ x: { style: 'redact', predicates: 'yes' } }, /predicates: must be allow or deny/],
    [{ x: { style: 'redact', predicate: 'allow' } }, /unknown option "predicate"/],
    [{ x: { predicates: 'allow' } }, /unknown mask style/],
  ])('rejects a malformed rule %j', (columns, message) => {
    expect(() => createMasker({ columns } as never)).toThrow(message);
  });
});

describe('maskJson', () => {
  const m = createMasker({ fields: { apiKey: 'redact', 'internal*': 'keep' } });

  it('applies field rules by key name and detects content in every string', () => {
    const doc = { apiKey: 'abc', nested: [{ note: `use ${TOKEN}` }], internalNote: `x ${TOKEN}`, n: 1 };
    expect(m.maskJson(doc)).toEqual({
      apiKey: '[REDACTED:field]',
      nested: [{ note: 'use [REDACTED:github-token]' }],
      internalNote: `x ${TOKEN}`,
      n: 1,
    });
  });

  it('always masks Kubernetes Secret data and stringData, also in kubectl’s last-applied annotation', () => {
    const keep = createMasker({ style: 'keep' });
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            apiVersion: 'v1',
            kind: 'Secret',
            data: { password: 'aHVudGVyMg==' },
          }),
        },
      },
      type: 'Opaque',
      data: { password: 'aHVudGVyMg==', user: 'YWRtaW4=' },
      stringData: { token: 'plain' },
    };
    const masked = keep.maskJson(secret) as typeof secret;
    expect(masked.data).toEqual({
      password: '[REDACTED:kubernetes-secret]',
      user: '[REDACTED:kubernetes-secret]',
    });
    expect(masked.stringData).toEqual({ token: '[REDACTED:kubernetes-secret]' });
    expect(masked.type).toBe('Opaque');
    expect(
      JSON.parse(masked.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']),
    ).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      data: { password: '[REDACTED:kubernetes-secret]' },
    });
  });

  it('masks the items of a SecretList even when items carry no kind', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'SecretList',
      items: [{ metadata: { name: 'a' }, data: { k: 'dg==' } }],
    };
    expect(m.maskJson(list)).toEqual({
      apiVersion: 'v1',
      kind: 'SecretList',
      items: [{ metadata: { name: 'a' }, data: { k: '[REDACTED:kubernetes-secret]' } }],
    });
  });
});

describe('column and field globs match in linear time', () => {
  // Column names and JSON keys come from query results, which an agent shapes (`AS "…"`), so a
  // backtracking glob against a long name would stall the process. The rule compiler is the
  // policy's linear-time automaton; this would not finish with a backtracking regex.
  it('a many-star rule against a 20,000-character column name or key answers at once', () => {
    const m = createMasker({
      columns: { '*_*_*_*_*_*token': 'redact' },
      fields: { '*_*_*_*_*_*key': 'redact' },
    });
    const long = 'a_'.repeat(10_000);
    expect(m.maskValue('x', { column: long })).toBe('x');
    expect(m.maskValue('x', { column: `${long}TOKEN` })).toBe('[REDACTED:column]');
    expect(m.maskJson({ [long]: 'x', [`${long}Key`]: 'y' })).toEqual({
      [long]: 'x',
      [`${long}Key`]: '[REDACTED:field]',
    });
  });

  it('matching stays case-insensitive, and * does not cross a /', () => {
    const m = createMasker({ columns: { 'Public.*.EMAIL': 'redact', 'a/*': 'redact' } });
    expect(m.maskValue('x', { column: 'public.users.email' })).toBe('[REDACTED:column]');
    expect(m.maskValue('x', { column: 'a/b/c' })).toBe('x');
  });
});

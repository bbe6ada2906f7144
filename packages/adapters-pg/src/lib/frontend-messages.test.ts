import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFrontendMessages } from './frontend-messages.js';

// The frontend messages pg writes, built by hand from the protocol documentation
// (pg-protocol is not a dependency of this package).
function message(type: string, ...parts: readonly (string | Buffer)[]): Buffer {
  const body = Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(`${part}\u0000`) : part)),
  );
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const serialize = {
  query: (text: string): Buffer => message('Q', text),
  parse: (q: { name?: string; text: string; types?: number[] }): Buffer =>
    message('P', q.name ?? '', q.text, int16(q.types?.length ?? 0), Buffer.alloc(4 * (q.types?.length ?? 0))),
  bind: (b: { portal?: string; statement?: string; values?: unknown[] }): Buffer =>
    message('B', b.portal ?? '', b.statement ?? '', int16(0), int16(0), int16(0)),
  execute: (e: { portal: string; rows: number }): Buffer => message('E', e.portal, Buffer.alloc(4)),
  sync: (): Buffer => message('S'),
  startup: (_: Record<string, string>): Buffer => {
    const body = Buffer.from('\u0000\u0003\u0000\u0000user\u0000u\u0000\u0000', 'latin1');
    const head = Buffer.alloc(4);
    head.writeInt32BE(4 + body.length);
    return Buffer.concat([head, body]);
  },
};

describe('parseFrontendMessages', () => {
  const cases: readonly { readonly name: string; readonly bytes: Buffer; readonly expected: unknown }[] = [
    {
      name: 'simple query',
      bytes: serialize.query('SELECT 1'),
      expected: [{ kind: 'query', text: 'SELECT 1' }],
    },
    {
      name: 'unnamed parse',
      bytes: serialize.parse({ text: 'SELECT $1' }),
      expected: [{ kind: 'parse', name: '', text: 'SELECT $1' }],
    },
    {
      name: 'named parse with types',
      bytes: serialize.parse({ name: 's1', text: 'SELECT $1', types: [23] }),
      expected: [{ kind: 'parse', name: 's1', text: 'SELECT $1' }],
    },
    {
      name: 'bind',
      bytes: serialize.bind({ portal: 'C_1', statement: 's1', values: ['x', null] }),
      expected: [{ kind: 'bind', portal: 'C_1', statement: 's1' }],
    },
    {
      name: 'execute',
      bytes: serialize.execute({ portal: '', rows: 0 }),
      expected: [{ kind: 'execute', portal: '' }],
    },
    {
      name: 'execute of a named portal',
      bytes: serialize.execute({ portal: 'C_7', rows: 100 }),
      expected: [{ kind: 'execute', portal: 'C_7' }],
    },
    {
      name: 'close of a portal',
      bytes: message('C', 'PC_7'),
      expected: [{ kind: 'close', target: 'P', name: 'C_7' }],
    },
    {
      name: 'close of a statement',
      bytes: message('C', 'Ss1'),
      expected: [{ kind: 'close', target: 'S', name: 's1' }],
    },
    { name: 'close of something else', bytes: message('C', 'Xs1'), expected: undefined },
    {
      name: 'an execute with trailing bytes',
      bytes: message('E', '', Buffer.alloc(6)),
      expected: undefined,
    },
    { name: 'sync', bytes: serialize.sync(), expected: [{ kind: 'other', type: 'S' }] },
    {
      name: 'several messages in one chunk',
      bytes: Buffer.concat([serialize.parse({ text: 'SELECT 1' }), serialize.bind({}), serialize.sync()]),
      expected: [
        { kind: 'parse', name: '', text: 'SELECT 1' },
        { kind: 'bind', portal: '', statement: '' },
        { kind: 'other', type: 'S' },
      ],
    },
    {
      name: 'unicode text',
      bytes: serialize.query("SELECT 'é✓'"),
      expected: [{ kind: 'query', text: "SELECT 'é✓'" }],
    },
    {
      name: 'a text that starts with a byte-order mark (kept, as the server reads it)',
      bytes: serialize.query('\uFEFFSELECT 1'),
      expected: [{ kind: 'query', text: '\uFEFFSELECT 1' }],
    },
    {
      name: 'a startup message (untyped)',
      bytes: serialize.startup({ user: 'u', database: 'd' }),
      expected: undefined,
    },
    { name: 'a truncated message', bytes: serialize.query('SELECT 1').subarray(0, 7), expected: undefined },
    {
      name: 'a message and a stray byte',
      bytes: Buffer.concat([serialize.sync(), Buffer.from([0x51])]),
      expected: undefined,
    },
    {
      name: 'a query with a second hidden text',
      bytes: (() => {
        const text = Buffer.from('SELECT 1\u0000DROP TABLE t\u0000');
        const head = Buffer.alloc(5);
        head.write('Q', 0, 'latin1');
        head.writeInt32BE(4 + text.length, 1);
        return Buffer.concat([head, text]);
      })(),
      expected: undefined,
    },
    { name: 'a length below the minimum', bytes: Buffer.from([0x51, 0, 0, 0, 2]), expected: undefined },
  ];

  it.each(cases)('$name', ({ bytes, expected }) => {
    expect(parseFrontendMessages(bytes)).toEqual(expected);
  });

  it('reads back the text of every serialized query and parse', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000')),
        fc.string(),
        (text, name) => {
          const safeName = name.replaceAll('\u0000', '');
          expect(parseFrontendMessages(serialize.query(text))).toEqual([{ kind: 'query', text }]);
          expect(parseFrontendMessages(serialize.parse({ name: safeName, text }))).toEqual([
            { kind: 'parse', name: safeName, text },
          ]);
        },
      ),
    );
  });
});

describe('parseFrontendMessages reads the bytes, not the object', () => {
  const query = (): Buffer => serialize.query('DROP TABLE t');
  it.each([
    ['an own length of 0', (): Uint8Array => Object.defineProperty(query(), 'length', { value: 0 })],
    [
      'an own toString() naming another text',
      (): Uint8Array => Object.assign(query(), { toString: () => 'SELECT 1' }),
    ],
    ['an own indexOf() that finds no NUL', (): Uint8Array => Object.assign(query(), { indexOf: () => -1 })],
    [
      'a subclass whose length reads 0 and whose subarray() is empty',
      (): Uint8Array => {
        class SneakyBytes extends Uint8Array {}
        Object.setPrototypeOf(SneakyBytes.prototype, Buffer.prototype as object);
        Object.defineProperty(SneakyBytes.prototype, 'length', { get: () => 0 });
        Object.defineProperty(SneakyBytes.prototype, 'subarray', { value: () => Buffer.alloc(0) });
        return new SneakyBytes(query());
      },
    ],
    [
      'an own byteLength of 0 (not a Buffer)',
      (): Uint8Array => Object.defineProperty(new Uint8Array(query()), 'byteLength', { value: 0 }),
    ],
  ])('a Query with %s', (_what, disguised) => {
    expect(parseFrontendMessages(disguised())).toEqual([{ kind: 'query', text: 'DROP TABLE t' }]);
  });
});

describe('a repeated text', () => {
  it('reads each of a run of same-length texts as its own, whatever came before', () => {
    // The reader keeps the last text it decoded; a text of the same length with other bytes
    // (one character apart, or another script) must never be read as that one.
    const base = 'SELECT * FROM t WHERE id = $1';
    // The base text with one character changed, anywhere (the first and the last too).
    const oneApart = fc
      .tuple(fc.nat({ max: base.length - 1 }), fc.constantFrom('X', 'é', '2', ' '))
      .map(([at, c]) => base.slice(0, at) + c + base.slice(at + 1));
    const text = fc.oneof(
      fc.constant(base),
      oneApart,
      fc.string({ minLength: 16, maxLength: 40, unit: 'grapheme' }).filter((t) => !t.includes('\0')),
    );
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 8 }), (texts) => {
        for (const t of texts) {
          expect(parseFrontendMessages(serialize.parse({ text: t }))).toEqual([
            { kind: 'parse', name: '', text: t },
          ]);
          expect(parseFrontendMessages(serialize.query(t))).toEqual([{ kind: 'query', text: t }]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

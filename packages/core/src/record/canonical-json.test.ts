import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it.each([
    ['sorted keys, no whitespace', { b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    ['nested objects are sorted too', { z: { y: 1, x: 2 } }, '{"z":{"x":2,"y":1}}'],
    // The key-sorting example of RFC 8785 §3.2.3: by UTF-16 code units, so U+1F600 (stored as
    // D83D DE00) sorts before U+FB33, although its code point is higher.
    [
      'UTF-16 code unit order',
      {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      },
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
    [
      'ECMAScript numbers',
      [1.0, 2.5, -0, 1e21, 1e-7, 0.1 + 0.2, Number.MIN_VALUE],
      '[1,2.5,0,1e+21,1e-7,0.30000000000000004,5e-324]',
    ],
    [
      'string escapes',
      ['\u0000\b\t\n\f\r"\\/\u001f\u007f\u2028'],
      '["\\u0000\\b\\t\\n\\f\\r\\"\\\\/\\u001f\u007f\u2028"]',
    ],
    [
      'undefined members are left out, undefined items are null',
      { a: undefined, b: [undefined] },
      '{"b":[null]}',
    ],
    ['toJSON is honoured', { at: new Date(Date.UTC(2026, 0, 2)) }, '{"at":"2026-01-02T00:00:00.000Z"}'],
    ['a lone surrogate is escaped, not rejected', ['\ud800'], '["\\ud800"]'],
    ['empty containers', { a: {}, b: [] }, '{"a":{},"b":[]}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', { a: -Infinity }],
    ['a bigint', { n: 1n }],
    ['undefined itself', undefined],
  ])('rejects %s with a TypeError', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => canonicalJson(a)).toThrow(/cycle/);
  });

  it('is idempotent through JSON.parse and agrees with JSON.stringify on sorted input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

// Inputs built to make a pattern backtrack or a stream hoard memory. No timing assertions: each
// case must simply finish (vitest's timeout is the backstop) and give the same output whole and
// streamed.
import { describe, expect, it } from 'vitest';
import { createMasker } from './create-masker.js';
import { compileDetectors } from './lib/compile-detectors.js';
import { MaskEngine } from './lib/engine.js';
import { renderMasked } from './lib/render.js';

const masker = createMasker();
const set = compileDetectors(masker.detectors);
const render = (det: number, text: string): string =>
  renderMasked('redact', set.defs[det]?.id ?? '?', text, undefined);
const MB = 1 << 20;

const fill = (unit: string, size = MB): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

const ADVERSARIAL: readonly (readonly [string, string])[] = [
  ['a', fill('a')],
  ['=', fill('=')],
  ['-----BEGIN', fill('-'.repeat(5) + 'BEGIN')],
  ['BEGIN PRIVATE KEY headers', fill('-'.repeat(5) + 'BEGIN PRIVATE KEY' + '-'.repeat(5))],
  ['eyJ', fill('eyJ')],
  ['eyJ.', fill('eyJaaaaaaa.')],
  ['@', fill('@')],
  ['a@', fill('a@')],
  ['a.a@a.', fill('a.a@a.')],
  ['://', fill('://')],
  ['a://a:a', fill('a://a:a')],
  ['password=', fill('password=')],
  ['"password": "', fill('"password": "')],
  ['authorization: ', fill('authorization: ')],
  ['Bearer ', fill('Bearer ')],
  ['cookie: a=', fill('cookie: a=')],
  ['digits', fill('4')],
  ['digit groups', fill('4111 ')],
  ['ssn-like', fill('123-45-')],
  ['IBAN-like', fill('DE89 ')],
  ['ghp_', fill('ghp_')],
  ['sk-', fill('sk-')],
  ['ESC[', fill('\x1b[')],
  ['ESC[1', fill('\x1b[1;')],
  ['backslashes', fill('\\')],
  ['quotes', fill('"\\"')],
  ['escaped JSON keys', fill('{\\"password\\":\\"')],
  ['escaped quotes', fill('\\\\\\"')],
  ['JSON \\n escapes', fill('\\n')],
  ['JSON \\n before keys', fill('\\npwd=')],
  ['percent escapes', fill('%3D')],
  ['table separators', fill('SecretAccessKey|  ')],
  ['table padding', fill('|                ')],
  ['@ and %40', fill('a%40b@')],
  ['non-ASCII local parts', fill('é@é.')],
  ['SQL PASSWORD', fill("PASSWORD '")],
  ['SQL IDENTIFIED BY', fill('IDENTIFIED BY ')],
];

describe('adversarial input', () => {
  it.each(ADVERSARIAL)('masks 1 MB of %s and streams it identically', (_name, text) => {
    const whole = masker.maskText(text).text;
    expect(typeof whole).toBe('string');
    const engine = new MaskEngine(set, render);
    let out = '';
    for (let i = 0; i < text.length; i += 65536) out += engine.write(text.slice(i, i + 65536));
    out += engine.end();
    expect(out).toBe(whole);
  });
});

describe('bounded memory', () => {
  it.each([
    ['plain text', 'the quick brown fox jumps over the lazy dog\n'],
    [
      'an endless PEM body',
      '-'.repeat(5) + 'BEGIN RSA PRIVATE KEY' + '-'.repeat(5) + '\n' + 'A'.repeat(63) + '\n',
    ],
    ['endless keywords', 'password=hunter2 ghp_ eyJ @ :// '],
    ['an endless token', 'x'.repeat(97)],
  ])('holds back at most maxHoldBack plus one chunk on endless %s', (_name, unit) => {
    const engine = new MaskEngine(set, render);
    const chunk = unit.repeat(Math.ceil(4096 / unit.length));
    let maxPending = 0;
    let emitted = 0;
    for (let i = 0; i < 2000; i++) {
      emitted += engine.write(chunk).length;
      maxPending = Math.max(maxPending, engine.pending);
    }
    expect(maxPending).toBeLessThanOrEqual(masker.maxHoldBack + chunk.length);
    expect(emitted).toBeGreaterThan(0);
  });
});

// A Kubernetes Secret written as YAML text (`kubectl get secret -o yaml` over SSH, a manifest in
// a log) is masked whole, however many entries it has and however long its values are. The
// detector's pattern sees a window of sixteen lines of up to 4 KiB; past that, the engine goes
// on along the block (see KeywordDefinition.continuation). Values are generated at run time.
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { createMasker } from './create-masker.js';
import { compileDetectors } from './lib/compile-detectors.js';
import { MaskEngine } from './lib/engine.js';
import { createExampleRng } from './lib/example-rng.js';
import { renderMasked } from './lib/render.js';

const masker = createMasker();
const MARK = '[REDACTED:kubernetes-secret-yaml]';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** `kubectl get secret -o yaml` for these data entries (values base64-encoded here). */
function secretYaml(entries: readonly (readonly [string, string])[], field = 'data'): string {
  const lines = entries.map(([k, v]) => `  ${k}: ${field === 'data' ? b64(v) : v}`);
  return `apiVersion: v1\n${field}:\n${lines.join('\n')}\nkind: Secret\nmetadata:\n  name: app\n  namespace: prod\ntype: Opaque\n`;
}

/** The output of a stream fed `text` in pieces of `size` characters. */
function streamed(text: string, size: number): string {
  const s = masker.createTextStream();
  let out = '';
  for (let i = 0; i < text.length; i += size) out += s.write(text.slice(i, i + size));
  return out + s.end();
}

/** Every value of the block (as it appears in the text) and, for long ones, each 24-character piece. */
function pieces(text: string): string[] {
  const out: string[] = [];
  const block = text.slice(text.indexOf('ata:\n'), text.indexOf('\nkind:'));
  for (const m of block.matchAll(/^ {2}[A-Za-z0-9._-]+: (\S+)$/gm)) {
    const v = m[1] ?? '';
    if (v.length <= 48) out.push(v);
    else for (let i = 0; i + 24 <= v.length; i += 24) out.push(v.slice(i, i + 24));
  }
  return out;
}

function expectMaskedWhole(text: string): string {
  const { text: out } = masker.maskText(text);
  const shown = pieces(text).filter((p) => out.includes(p));
  expect(shown).toEqual([]);
  // What follows the block stays.
  expect(out.endsWith('kind: Secret\nmetadata:\n  name: app\n  namespace: prod\ntype: Opaque\n')).toBe(true);
  for (const size of [1, 7, 4096, 65536]) expect(streamed(text, size)).toBe(out);
  return out;
}

describe('a Kubernetes Secret as YAML text', () => {
  const r = createExampleRng(71);
  const entries = (n: number, length = 20): [string, string][] =>
    Array.from({ length: n }, (_, i) => [`KEY_${i}`, r.base62(length)]);

  it('masks every entry of a data block of forty entries', () => {
    const out = expectMaskedWhole(secretYaml(entries(40)));
    // Sixteen entries a window: three marks, on their own lines.
    expect(out).toBe(
      `apiVersion: v1\ndata:\n${MARK}\n${MARK}\n${MARK}\nkind: Secret\nmetadata:\n  name: app\n  namespace: prod\ntype: Opaque\n`,
    );
  });

  it('masks a value longer than 4 KiB and the entries after it', () => {
    const text = secretYaml([
      ['ca.crt', r.base62(9000)],
      ['token', r.base62(40)],
      ['namespace', 'prod'],
    ]);
    expectMaskedWhole(text);
  });

  it('masks a long value in the middle of a long block', () => {
    const list = entries(20);
    list.splice(9, 0, ['kubeconfig', r.base62(20_000)]);
    expectMaskedWhole(secretYaml(list));
  });

  it('masks every entry of a stringData block of thirty entries', () => {
    expectMaskedWhole(secretYaml(entries(30), 'stringData'));
  });

  it('leaves a ConfigMap of forty entries as it is', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `  SETTING_${i}: value-${i}`);
    const text = `apiVersion: v1\ndata:\n${lines.join('\n')}\nkind: ConfigMap\n`;
    expect(masker.maskText(text).text).toBe(text);
  });

  it('stops at the end of the block when the next line is indented less', () => {
    const text = secretYaml(entries(17)).replace('kind: Secret', 'kind: Secret\nnote: done');
    const out = masker.maskText(text).text;
    expect(out).toContain(`${MARK}\n${MARK}\nkind: Secret\nnote: done\n`);
  });
});

describe('an endless Secret data block', () => {
  const set = compileDetectors(masker.detectors);
  const render = (det: number, text: string): string =>
    renderMasked('redact', set.defs[det]?.id ?? '?', text, undefined);
  const r = createExampleRng(72);

  it.each([
    ['of entries', '\n', (i: number): string => `  KEY_${i}: ${b64(r.base62(30))}\n`],
    ['of one value', '\n  next: ', (): string => b64(r.base62(48))],
  ])('is masked whole %s, holding back at most maxHoldBack plus one chunk', (_name, then, piece) => {
    const engine = new MaskEngine(set, render);
    let out = engine.write(`apiVersion: v1\nkind: Secret\ndata:\n  first: ${b64('a text value')}${then}`);
    let maxPending = 0;
    const sample: string[] = [];
    for (let i = 0; i < 1000; i++) {
      let chunk = '';
      for (let k = 0; chunk.length < 4096; k++) chunk += piece(i * 100 + k);
      if (i % 100 === 0) sample.push(chunk.slice(100, 124));
      out += engine.write(chunk);
      maxPending = Math.max(maxPending, engine.pending);
    }
    out += engine.end();
    expect(maxPending).toBeLessThanOrEqual(masker.maxHoldBack + 4096 + 64);
    expect(sample.filter((x) => out.includes(x))).toEqual([]);
    expect(out.startsWith(`apiVersion: v1\nkind: Secret\ndata:\n${MARK}`)).toBe(true);
  });
});

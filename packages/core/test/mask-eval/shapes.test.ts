// Every shape of the evaluation masks exactly its secret: the output is the input with the
// secret (and nothing else) replaced by one `[REDACTED:<detector>]`.
import { describe, expect, it } from 'vitest';
import { createMasker } from '../../src/mask/create-masker.js';
import { createExampleRng } from '../../src/mask/lib/example-rng.js';
import { SHAPES } from './corpus.js';

const masker = createMasker();
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(Object.entries(SHAPES))('shapes: %s', (_family, shapes) => {
  it.each(Object.entries(shapes))('%s', (_name, make) => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { text, secret } = make(createExampleRng(seed));
      const expected = new RegExp(`^${text.split(secret).map(escape).join('\\[REDACTED:[a-z0-9-]+\\]')}$`);
      expect(masker.maskText(text).text).toMatch(expected);
    }
  });
});

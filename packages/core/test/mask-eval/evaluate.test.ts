// The thresholds of the masking evaluation, enforced in CI: recall of at least 99% in every
// category, and at most 1% of the realistic negatives masked (overall and in each family).
import { describe, expect, it } from 'vitest';
import { evaluateMasking } from './evaluate.js';
import { NEGATIVES } from './corpus.js';
import { createMasker } from '../../src/mask/create-masker.js';

const report = evaluateMasking(5);

describe('masking evaluation', () => {
  it.each(report.recall.map((c) => [c.category, c] as const))('recall in %s is at least 99%%', (_name, c) => {
    expect(c.positives).toBeGreaterThan(0);
    expect(c.recall, report.misses.filter((m) => m.startsWith(c.category)).join('\n')).toBeGreaterThanOrEqual(
      0.99,
    );
  });

  it('masks at most 1% of the realistic negatives', () => {
    expect(report.totalNegatives).toBeGreaterThan(300);
    expect(report.totalFalsePositiveRate, report.masked.join('\n')).toBeLessThanOrEqual(0.01);
  });

  it.each(report.falsePositives.map((c) => [c.category, c] as const))(
    'masks at most 1%% of %s',
    (_name, c) => {
      expect(c.rate, report.masked.join('\n')).toBeLessThanOrEqual(0.01);
    },
  );
});

// Precision cases by name, so a regression names the family it broke.
const masker = createMasker();
describe.each(Object.entries(NEGATIVES))('negatives: %s', (_family, texts) => {
  it.each(texts.map((t) => [t] as const))('leaves %j unchanged', (text) => {
    expect(masker.maskText(text)).toEqual({ text, findings: [] });
  });
});

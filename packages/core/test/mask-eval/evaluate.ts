// The masking evaluation: per-category recall on positives generated at run time from the
// vendors' documented formats (every detector's own examples, over many seeds, plus secrets in
// the syntax shapes of config files and code), and the share of realistic negatives that get
// masked (placeholders, documentation examples, identifiers, hashes, ids, code and logs).
// Run it with `pnpm eval:masking`; evaluate.test.ts holds the thresholds CI enforces.
import { aiDetectors } from '../../src/mask/detectors/ai.js';
import { azureDetectors } from '../../src/mask/detectors/azure.js';
import { personalDetectors } from '../../src/mask/detectors/personal.js';
import { vendorKeyDetectors } from '../../src/mask/detectors/vendor-keys.js';
import { vendorDetectors } from '../../src/mask/detectors/vendors.js';
import { cloudDetectors } from '../../src/mask/detectors/cloud.js';
import { credentialDetectors } from '../../src/mask/detectors/credentials.js';
import { keyDetectors } from '../../src/mask/detectors/keys.js';
import { messagingDetectors } from '../../src/mask/detectors/messaging.js';
import { paymentDetectors } from '../../src/mask/detectors/payments.js';
import { piiDetectors } from '../../src/mask/detectors/pii.js';
import { serviceDetectors } from '../../src/mask/detectors/services.js';
import { sourceControlDetectors } from '../../src/mask/detectors/source-control.js';
import { createMasker } from '../../src/mask/create-masker.js';
import type { DetectorDefinition, PositiveExample } from '../../src/mask/lib/definition.js';
import { createExampleRng } from '../../src/mask/lib/example-rng.js';
import type { Masker } from '../../src/mask/types.js';
import { NEGATIVES, SHAPES } from './corpus.js';

/** The detector groups, as the catalog files split them. */
export const GROUPS: Readonly<Record<string, readonly DetectorDefinition[]>> = {
  keys: keyDetectors,
  azure: azureDetectors,
  cloud: cloudDetectors,
  'source-control': sourceControlDetectors,
  messaging: messagingDetectors,
  payments: paymentDetectors,
  ai: aiDetectors,
  services: serviceDetectors,
  vendors: vendorDetectors,
  'vendor keys': vendorKeyDetectors,
  credentials: credentialDetectors,
  pii: piiDetectors,
  'personal (context and national ids)': personalDetectors,
};

// Surroundings a positive is also tried in: as written, and inside a log line.
const SURROUNDINGS: readonly ((text: string) => string)[] = [
  (t) => t,
  (t) => `2026-03-01T09:12:44.120Z INFO worker[7] ${t} (took 12ms)`,
];

export interface CategoryFigures {
  readonly category: string;
  readonly positives: number;
  readonly missed: number;
  readonly recall: number;
}

export interface NegativeFigures {
  readonly category: string;
  readonly negatives: number;
  readonly masked: number;
  readonly rate: number;
}

export interface EvaluationReport {
  readonly detectors: number;
  readonly recall: readonly CategoryFigures[];
  readonly falsePositives: readonly NegativeFigures[];
  /** Positives missed: category, the example's name, the text with the secret replaced by ⟨S⟩. */
  readonly misses: readonly string[];
  /** Negatives masked: category and the masked output. */
  readonly masked: readonly string[];
  readonly totalPositives: number;
  readonly totalRecall: number;
  readonly totalNegatives: number;
  readonly totalFalsePositiveRate: number;
}

const count = (text: string, part: string): number => text.split(part).length - 1;

/**
 * A secret is found when no part of it survives: neither the whole nor any 12-character piece
 * (half-overlapping) that was not already in the text around the secret.
 */
function survives(text: string, output: string, secret: string): boolean {
  if (output.includes(secret)) return true;
  const around = text.split(secret).join('\u0000');
  const piece = Math.min(12, secret.length);
  for (let i = 0; i + piece <= secret.length; i += Math.max(1, Math.floor(piece / 2))) {
    const part = secret.slice(i, i + piece);
    if (/^[A-Za-z\s]*$/.test(part)) continue;
    if (count(output, part) > count(around, part)) return true;
  }
  return false;
}

/** Runs the evaluation with `seeds` seeds per positive example. */
export function evaluateMasking(seeds = 10, masker: Masker = createMasker()): EvaluationReport {
  const recall: CategoryFigures[] = [];
  const misses: string[] = [];
  const run = (category: string, named: readonly (readonly [string, PositiveExample])[]): void => {
    let positives = 0;
    let missed = 0;
    named.forEach(([name, make], i) => {
      let shown = false;
      for (let seed = 1; seed <= seeds; seed++) {
        const { text, secret } = make(createExampleRng(seed * 7901 + i * 31));
        for (const wrap of SURROUNDINGS) {
          positives++;
          const input = wrap(text);
          const out = masker.maskText(input).text;
          if (survives(input, out, secret)) {
            missed++;
            if (!shown)
              misses.push(
                `${category} ${name}: ${JSON.stringify(wrap(text).split(secret).join('⟨S⟩'))} → ${JSON.stringify(out)}`,
              );
            shown = true;
          }
        }
      }
    });
    recall.push({
      category,
      positives,
      missed,
      recall: positives === 0 ? 1 : (positives - missed) / positives,
    });
  };
  let detectors = 0;
  for (const [group, defs] of Object.entries(GROUPS)) {
    detectors += defs.length;
    run(
      group,
      defs.flatMap((d) => d.positives.map((p, i) => [`${d.id}#${i}`, p] as const)),
    );
  }
  for (const [group, shapes] of Object.entries(SHAPES)) run(`shapes: ${group}`, Object.entries(shapes));

  const falsePositives: NegativeFigures[] = [];
  const masked: string[] = [];
  const negatives: [string, readonly string[]][] = [
    ['detector negatives', Object.values(GROUPS).flatMap((defs) => defs.flatMap((d) => d.negatives))],
    ...Object.entries(NEGATIVES),
  ];
  for (const [category, texts] of negatives) {
    let hit = 0;
    for (const text of texts) {
      const r = masker.maskText(text);
      if (r.findings.length > 0) {
        hit++;
        masked.push(`${category}: ${JSON.stringify(r.text)}`);
      }
    }
    falsePositives.push({
      category,
      negatives: texts.length,
      masked: hit,
      rate: texts.length === 0 ? 0 : hit / texts.length,
    });
  }
  const totalPositives = recall.reduce((n, c) => n + c.positives, 0);
  const totalMissed = recall.reduce((n, c) => n + c.missed, 0);
  const totalNegatives = falsePositives.reduce((n, c) => n + c.negatives, 0);
  const totalMasked = falsePositives.reduce((n, c) => n + c.masked, 0);
  return {
    detectors,
    recall,
    falsePositives,
    misses,
    masked,
    totalPositives,
    totalRecall: (totalPositives - totalMissed) / totalPositives,
    totalNegatives,
    totalFalsePositiveRate: totalMasked / totalNegatives,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** The report as a plain-text table. */
export function formatReport(r: EvaluationReport): string {
  const lines = [
    `masking evaluation: ${r.detectors} detectors`,
    '',
    'recall (positives generated at run time)',
  ];
  for (const c of r.recall)
    lines.push(
      `  ${c.category.padEnd(34)} ${String(c.positives).padStart(6)}  missed ${String(c.missed).padStart(4)}  recall ${pct(c.recall)}`,
    );
  lines.push(
    `  ${'all'.padEnd(34)} ${String(r.totalPositives).padStart(6)}  recall ${pct(r.totalRecall)}`,
    '',
    'negatives masked (false positives)',
  );
  for (const c of r.falsePositives)
    lines.push(
      `  ${c.category.padEnd(34)} ${String(c.negatives).padStart(6)}  masked ${String(c.masked).padStart(4)}  rate ${pct(c.rate)}`,
    );
  lines.push(
    `  ${'all'.padEnd(34)} ${String(r.totalNegatives).padStart(6)}  rate ${pct(r.totalFalsePositiveRate)}`,
  );
  if (r.misses.length > 0) lines.push('', 'missed:', ...r.misses.map((m) => `  ${m}`));
  if (r.masked.length > 0) lines.push('', 'negatives masked:', ...r.masked.map((m) => `  ${m}`));
  return lines.join('\n');
}

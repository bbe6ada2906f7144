// `pnpm eval:masking`: per-category recall and false-positive rate of the built-in detectors
// (see packages/core/test/mask-eval/evaluate.ts). `--seeds N` sets positives per example.
import { evaluateMasking, formatReport } from '../packages/core/test/mask-eval/evaluate.js';

const i = process.argv.indexOf('--seeds');
const seeds = i === -1 ? 10 : Number(process.argv[i + 1]);
const started = performance.now();
const report = evaluateMasking(seeds);
console.log(formatReport(report));
console.log(`\n(${Math.round(performance.now() - started)} ms)`);

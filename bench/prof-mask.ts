import { suites } from './suites/mask.bench.js';
const fn = suites[0]!.tasks[0]!.fn;
const base = suites[0]!.baseline!.fn;
const time = async (f: () => unknown, n: number): Promise<number> => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  return (performance.now() - t0) / n;
};
await time(fn, 5);
await time(base, 5);
for (let k = 0; k < 3; k++) {
  const a = await time(fn, 20);
  const b = await time(base, 20);
  console.log(`portcullis ${a.toFixed(2)} ms, secretlint ${b.toFixed(2)} ms, ratio ${(b / a).toFixed(2)}×`);
}

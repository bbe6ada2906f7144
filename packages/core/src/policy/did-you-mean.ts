/**
 * The closest candidate to a misspelt word, when one is close enough to be a likely typo
 * (Damerau–Levenshtein distance at most a third of the word's length, and at least 1).
 *
 * @example
 * ```ts
 * didYouMean('selct', ['select', 'insert']); // 'select'
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  // Long words are not typos of short keywords; this also bounds the quadratic distance.
  if (word.length > 64) return undefined;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0.5 : distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` — did you mean "x"?` or the empty string. */
export function didYouMeanHint(word: string, candidates: Iterable<string>): string {
  const guess = didYouMean(word, candidates);
  return guess === undefined ? '' : ` — did you mean "${guess}"?`;
}

// Optimal string alignment distance: adjacent transpositions count as one edit ("slect").
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Uint16Array(rows * cols);
  const at = (k: number): number => d[k] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        at((i - 1) * cols + j) + 1,
        at(i * cols + j - 1) + 1,
        at((i - 1) * cols + j - 1) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, at((i - 2) * cols + j - 2) + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return at(rows * cols - 1);
}

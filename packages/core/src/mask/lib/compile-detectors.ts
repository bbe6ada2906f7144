import { DETECTORS } from '../catalog.js';
import type { KeywordDefinition, ScanDefinition } from './definition.js';
import { LOOKAHEAD, LOOKBEHIND } from './definition.js';
import type { DetectorSet } from './engine.js';
import { CandidateIndex } from './candidate-index.js';
import { KeywordIndex } from './keyword-index.js';
import { SeedIndex } from './seed-index.js';

const cache = new Map<string, DetectorSet>();

/** Compiles a selection of detector ids (catalog order) into a {@link DetectorSet}; cached. */
export function compileDetectors(ids: readonly string[]): DetectorSet {
  const cacheKey = ids.join(',');
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached;
  const wanted = new Set(ids);
  const defs = DETECTORS.filter((d) => wanted.has(d.id));
  const keywords: { keyword: string; ignoreCase: boolean; owner: number }[] = [];
  const scans: number[] = [];
  const seeds: { spec: ScanDefinition['seed']; owner: number }[] = [];
  const anchored: (RegExp | undefined)[] = [];
  const maskBackers: number[] = [];
  const repeats: boolean[] = [];
  const backAscii: (Uint8Array | undefined)[] = [];
  let maxBack = 0;
  let maxMaskBack = 0;
  defs.forEach((d, i) => {
    if (d.kind === 'scan') {
      scans.push(i);
      seeds.push({ spec: d.seed, owner: i });
      // tried at each possible start, like a keyword detector's pattern at its keyword
      anchored[i] = new RegExp(d.pattern.source, matchFlags('yd', d.secretGroups));
      return;
    }
    const k: KeywordDefinition = d;
    const flags = matchFlags(d.pattern.flags, d.secretGroups);
    anchored[i] = flags === d.pattern.flags ? d.pattern : new RegExp(d.pattern.source, flags);
    for (const keyword of k.keywords) keywords.push({ keyword, ignoreCase: k.ignoreCase, owner: i });
    repeats[i] = mayRepeat(k);
    const back = k.back;
    if (back !== undefined)
      backAscii[i] = Uint8Array.from({ length: 128 }, (_, c) => (back.chars(c) ? 1 : 0));
    maxBack = Math.max(maxBack, k.back?.max ?? 0);
    maxMaskBack = Math.max(maxMaskBack, k.maskBack);
    if (k.maskBack > 0) maskBackers.push(i);
  });
  const keywordIndex = new KeywordIndex(keywords);
  const seedIndex = new SeedIndex(seeds);
  const set: DetectorSet = {
    defs,
    keywords: keywordIndex,
    seeds: seedIndex,
    candidates: new CandidateIndex(keywordIndex, seedIndex),
    anchored,
    scans,
    maskBackers,
    repeats,
    backAscii,
    maxBack,
    maxMaskBack,
  };
  cache.set(cacheKey, set);
  return set;
}

/**
 * Whether one scan can find two hits of `d` at the same start: two of its keywords can start at
 * one place (`pass`, `password`), or its `back` can walk from one keyword occurrence over an
 * earlier one (a character of a keyword, in either case when it ignores case, is one `back`
 * accepts). A single keyword that `back` cannot cross gives each occurrence its own start.
 */
function mayRepeat(d: KeywordDefinition): boolean {
  if (new Set(d.keywords.map((k) => (d.ignoreCase ? k.toLowerCase() : k))).size > 1) return true;
  const back = d.back;
  if (back === undefined) return false;
  const forms = d.keywords.flatMap((k) => (d.ignoreCase ? [k, k.toLowerCase(), k.toUpperCase()] : [k]));
  return forms.some((k) => {
    for (let i = 0; i < k.length; i++) if (back.chars(k.charCodeAt(i))) return true;
    return false;
  });
}

/**
 * The flags a detector's matches are tried with: match indices (`d`, which cost time and memory
 * per match) only for a detector that reads its secret from named groups.
 */
function matchFlags(flags: string, secretGroups: readonly string[] | undefined): string {
  return secretGroups === undefined ? flags.replace('d', '') : flags;
}

/** The most characters a stream over this set may hold back. */
export function maxHoldBack(set: DetectorSet): number {
  let longest = Math.max(set.keywords.maxLength, set.seeds.maxMin);
  for (const d of set.defs) longest = Math.max(longest, d.maxLength);
  return LOOKBEHIND + longest + LOOKAHEAD + set.maxBack;
}

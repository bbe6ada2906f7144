// The walker skips the bodies of leaf node kinds (walk.ts `leafNodes`) because nothing in them
// can add an item. Over every statement of PostgreSQL's regression suite (../shared/corpora):
// the walk with that pruning equals the walk without it, and no leaf body holds a node other
// than the inert String and A_Star.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { isObj, nodeType } from './names.js';
import { loadParser, parseSql, scanSql } from './parser.js';
import { leafNodes, walkParseTree } from './walk.js';

const CORPUS = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../../../shared/corpora/postgres-regress-statements.json.gz',
);
const corpusMissing = existsSync(CORPUS) ? undefined : `${CORPUS} is absent`;

interface RegressFile {
  readonly name: string;
  readonly text?: string;
  readonly items?: readonly { readonly sql: string }[];
}

/**
 * A psql script's statements, roughly: meta-command lines dropped, then cut at each `;` token
 * outside parentheses. A piece that does not parse (a cut inside BEGIN ATOMIC, a deliberate
 * error of the suite) is left out by the caller.
 */
function statementsOf(text: string): string[] {
  const sql = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('\\'))
    .join('\n');
  const bytes = Buffer.from(sql);
  let tokens;
  try {
    tokens = scanSql(sql);
  } catch {
    return [sql];
  }
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth = Math.max(0, depth - 1);
    else if (t.text === ';' && depth === 0) {
      out.push(bytes.subarray(start, t.start).toString());
      start = t.end;
    }
  }
  out.push(bytes.subarray(start).toString());
  return out.filter((s) => s.trim() !== '');
}

function treeOf(sql: string): unknown {
  try {
    return parseSql(sql);
  } catch {
    return undefined;
  }
}

/** Where a leaf body holds a node other than String or A_Star (path of node types). */
function leafIntruders(value: unknown, path: string, insideLeaf: boolean, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) leafIntruders(item, path, insideLeaf, out);
    return;
  }
  if (!isObj(value)) return;
  const type = nodeType(value);
  if (type === undefined) {
    for (const key of Object.keys(value)) leafIntruders(value[key], path, insideLeaf, out);
    return;
  }
  if (insideLeaf && type !== 'String' && type !== 'A_Star') out.push(`${path}/${type}`);
  leafIntruders(value[type], `${path}/${type}`, insideLeaf || leafNodes.has(type), out);
}

describe.skipIf(corpusMissing !== undefined)(
  `walker leaf pruning over the PostgreSQL regression statements${corpusMissing === undefined ? '' : ` — SKIPPED: ${corpusMissing}`}`,
  () => {
    let statements: string[] = [];
    beforeAll(async () => {
      await loadParser();
      const corpus = JSON.parse(gunzipSync(readFileSync(CORPUS)).toString('utf8')) as {
        files: readonly RegressFile[];
      };
      statements = corpus.files.flatMap(
        (f) => f.items?.map((item) => item.sql) ?? statementsOf(f.text ?? ''),
      );
    });

    it('walking leaf bodies adds nothing, and leaf bodies hold no node but String and A_Star', () => {
      let parsed = 0;
      let leaves = 0;
      const differences: string[] = [];
      const intruders: string[] = [];
      for (const sql of statements) {
        const tree = treeOf(sql);
        if (tree === undefined) continue;
        parsed++;
        const pruned = walkParseTree(tree);
        const full = walkParseTree(tree, { prune: false });
        try {
          expect(pruned).toEqual(full);
        } catch {
          differences.push(sql);
        }
        const found: string[] = [];
        leafIntruders(tree, '', false, found);
        intruders.push(...found.map((p) => `${p} in: ${sql.slice(0, 200)}`));
        leaves += (JSON.stringify(tree).match(/"(?:String|A_Const|ColumnRef|ParamRef)":/g) ?? []).length;
      }
      // Not vacuous: most of the suite parses, and leaves are most of its nodes.
      expect(parsed).toBeGreaterThan(20_000);
      expect(leaves).toBeGreaterThan(100_000);
      expect(differences.slice(0, 5)).toEqual([]);
      expect(intruders.slice(0, 5)).toEqual([]);
    });
  },
);

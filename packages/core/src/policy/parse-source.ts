import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SourcePosition } from './policy-types.js';

/** A path into a document: object keys and array indexes. */
export type DocPath = readonly (string | number)[];

/** Finds where a path is in the source; `key: true` points at the last key rather than its value. */
export type Locator = (path: DocPath, options?: { readonly key?: boolean }) => SourcePosition | undefined;

/** A syntax problem, with its position. */
export interface SyntaxIssue {
  readonly message: string;
  readonly position: SourcePosition;
}

/** The outcome of reading policy text: a value with a locator, or syntax issues. */
export type ParsedSource =
  | { readonly ok: true; readonly value: unknown; readonly locate: Locator }
  | { readonly ok: false; readonly issues: readonly SyntaxIssue[] };

// Aliases are resolved by yaml itself; this bound stops alias-expansion ("billion laughs") bombs.
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML text (1.2 core schema, duplicate keys rejected) and keeps node positions so every
 * later validation issue can name a line and column.
 */
export function parseYamlSource(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    version: '1.2',
    merge: false,
  });
  const first = doc.errors[0];
  if (first !== undefined) {
    // Later syntax errors are mostly echoes of the first; it is the one to fix.
    const more = doc.errors.length - 1;
    const rest =
      more === 0
        ? ''
        : ` (${more} more syntax error${more === 1 ? '' : 's'} after it may be caused by this one)`;
    return {
      ok: false,
      issues: [
        {
          message: `${firstLine(first.message)} — fix the YAML syntax here${rest}`,
          position: toPosition(lineCounter, first.pos[0]),
        },
      ],
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    return {
      ok: false,
      issues: [
        {
          message: `${cause instanceof Error ? firstLine(cause.message) : String(cause)} — simplify the YAML (aliases are limited to ${MAX_ALIAS_COUNT})`,
          position: { line: 1, column: 1 },
        },
      ],
    };
  }
  return { ok: true, value, locate: yamlLocator(doc, lineCounter) };
}

/**
 * Parses JSON text strictly (JSON.parse), reporting syntax errors with a line and column, and
 * rejecting duplicate keys (JSON.parse would silently keep the last one).
 */
export function parseJsonSource(text: string): ParsedSource {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const found = findJsonError(text);
    return {
      ok: false,
      issues: [
        {
          message: `${found.message} — fix the JSON syntax here`,
          position: offsetPosition(text, found.offset),
        },
      ],
    };
  }
  // JSON is YAML 1.2 flow syntax: the YAML parser gives node positions and duplicate-key checks.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const duplicates = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY');
  if (duplicates.length > 0) {
    return {
      ok: false,
      issues: duplicates.map((e) => ({
        message: 'duplicate key — each key may appear once in an object; remove or merge the repeats',
        position: toPosition(lineCounter, e.pos[0]),
      })),
    };
  }
  const locate: Locator = doc.errors.length > 0 ? () => undefined : yamlLocator(doc, lineCounter);
  return { ok: true, value, locate };
}

function yamlLocator(doc: Document, lineCounter: LineCounter): Locator {
  return (path, options) => {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let deepest: Node | undefined = isNodeWithRange(node) ? node : undefined;
    let walked = 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        if (node === undefined) break;
      } else {
        break;
      }
      walked++;
      deepest = isNodeWithRange(node) ? node : keyNode;
    }
    const complete = walked === path.length;
    const at = complete && options?.key === true && keyNode !== undefined ? keyNode : deepest;
    const offset = at?.range?.[0];
    return offset === undefined ? undefined : toPosition(lineCounter, offset);
  };
}

function isNodeWithRange(node: unknown): node is Node {
  return typeof node === 'object' && node !== null && 'range' in node && Array.isArray((node as Node).range);
}

function toPosition(lineCounter: LineCounter, offset: number): SourcePosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function offsetPosition(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}

class JsonSyntax extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Where and why JSON.parse failed: Node 20's messages do not always carry a position, so
 * this small scanner finds the first error itself.
 */
export function findJsonError(text: string): { readonly message: string; readonly offset: number } {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const fail = (message: string): never => {
    throw new JsonSyntax(message, i);
  };
  const describe = (): string => (i >= text.length ? 'end of input' : JSON.stringify(text[i]));
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in string (write it as an escape such as \\n)');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('invalid escape in string');
      } else i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 512) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a double-quoted property name, found ${describe()}`);
        string();
        ws();
        if (text[i] !== ':') fail(`expected ':' after the property name, found ${describe()}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after a property value, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after an array element, found ${describe()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      text.slice(i, i + 400),
    );
    if (literal === null) throw new JsonSyntax(`expected a value, found ${describe()}`, i);
    i += literal[0].length;
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the document`);
  } catch (err) {
    if (err instanceof JsonSyntax) return { message: err.message, offset: err.offset };
    throw err;
  }
  return { message: 'invalid JSON', offset: 0 };
}

import type { core } from 'zod';
import { PolicyError, type PolicyIssue } from '../errors.js';
import { didYouMeanHint } from './did-you-mean.js';
import type { DocPath, Locator } from './parse-source.js';
import { policySchema } from './schema.js';

/** A problem found while validating, before it is given a file position. */
export interface RawIssue {
  readonly path: DocPath;
  readonly message: string;
  /** Point at the last key of `path` rather than its value (unknown keys, duplicate ids). */
  readonly key?: boolean;
}

/** `rules.1.when.operations.0`: the form {@link PolicyIssue.path} uses. */
export function dottedPath(path: DocPath): string {
  return path.map(String).join('.');
}

/** `rules[1].when.operations[0]`: the form messages use. */
export function displayPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(policy)' : out;
}

/** Gives issues their file position and builds the error whose message lists them all. */
export function policyError(
  raw: readonly RawIssue[],
  file: string | undefined,
  locate: Locator | undefined,
): PolicyError {
  const located = raw.map((r) => {
    const position = locate?.(r.path, { key: r.key === true });
    const issue: PolicyIssue = {
      ...(file === undefined ? {} : { file }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
      path: dottedPath(r.path),
      message: r.message,
    };
    return { issue, shown: displayPath(r.path) };
  });
  // In file order, so a person can work down the list (sort is stable for unlocated issues).
  located.sort(
    (a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0),
  );
  const issues = located.map((l) => l.issue);
  const lines = located.map((l) => formatIssue(l.issue, l.shown));
  return new PolicyError(lines.join('\n'), issues);
}

/** One issue as `file:line:column: path: message`. */
export function formatIssue(issue: PolicyIssue, shownPath: string): string {
  const where = [issue.file ?? '<policy>', issue.line, issue.column].filter((x) => x !== undefined).join(':');
  return shownPath === '' ? `${where}: ${issue.message}` : `${where}: ${shownPath}: ${issue.message}`;
}

const WHEN_FIELDS = ['subjects', 'groups', 'kinds', 'actors', 'targets', 'operations', 'resources'];

/** Turns zod's issues into messages a person can act on. `input` is the document as parsed. */
export function fromZodIssues(issues: readonly core.$ZodIssue[], input: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  for (const iss of issues) {
    const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
    const value = valueAt(input, path);
    switch (iss.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(path);
        for (const key of iss.keys) {
          let hint = didYouMeanHint(key, allowed);
          if (hint === '' && WHEN_FIELDS.includes(key) && allowed.includes('when')) {
            hint = ` — match fields go under when: (when: { ${key}: [ … ] })`;
          } else if (hint === '') {
            hint = ` — allowed keys here: ${allowed.join(', ')}`;
          }
          out.push({ path: [...path, key], message: `unknown key "${key}"${hint}`, key: true });
        }
        break;
      }
      case 'invalid_value': {
        const options = iss.values.map((v) => String(v));
        const shown = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
        const isCustom = !/^Invalid (input|option)/.test(iss.message);
        if (isCustom) out.push({ path, message: iss.message });
        else if (value === undefined)
          out.push({ path, message: `missing — add ${last(path)}: ${options.join(' | ')}` });
        else {
          const hint = typeof value === 'string' ? didYouMeanHint(value, options) : '';
          out.push({
            path,
            message: `${shown} is not one of ${options.join(', ')}${hint === '' ? ` — use one of them` : hint}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        if (!iss.message.startsWith('Invalid input')) out.push({ path, message: iss.message });
        else if (value === undefined)
          out.push({ path, message: `missing required key "${last(path)}" — add it` });
        else if (iss.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
          // YAML reads 1234, true or 1.0 as non-strings; quoting is the fix.
          out.push({
            path,
            message: `expected a string, got ${describe(value)} — quote it: "${String(value)}"`,
          });
        } else {
          out.push({
            path,
            message: `expected ${article(iss.expected)}, got ${describe(value)} — change the value`,
          });
        }
        break;
      }
      case 'invalid_union': {
        // Say what is wrong in the alternative the value was meant as: the one whose own shape
        // it has (only its fields are wrong), else one that names the values it accepts.
        const branches = (iss as { readonly errors?: readonly (readonly core.$ZodIssue[])[] }).errors ?? [];
        const atRoot = (i: core.$ZodIssue): boolean => i.path.length === 0 && i.code !== 'unrecognized_keys';
        const meant =
          branches.find((b) => b.length > 0 && !b.some(atRoot)) ??
          branches.find((b) => b.some((i) => atRoot(i) && i.code === 'invalid_value'));
        // A union with its own message says it better than any one alternative.
        if (meant !== undefined && iss.message.startsWith('Invalid input')) {
          out.push(
            ...fromZodIssues(
              meant.map((i) => ({ ...i, path: [...iss.path, ...i.path] })),
              input,
            ),
          );
          break;
        }
        const generic = iss.message.startsWith('Invalid input');
        out.push({ path, message: generic ? `${iss.message} — change the value` : iss.message });
        break;
      }
      case 'invalid_key': {
        const inner = iss.issues[0]?.message ?? 'invalid key';
        out.push({ path, message: inner, key: true });
        break;
      }
      default: {
        const generic = /^(Invalid|Too (small|big))/.test(iss.message);
        out.push({ path, message: generic ? `${iss.message} — change the value` : iss.message });
      }
    }
  }
  return out;
}

function last(path: DocPath): string {
  return String(path.at(-1) ?? '');
}

function article(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping (key: value)',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    record: 'a mapping (key: value)',
  };
  return names[expected] ?? expected;
}

function describe(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'number' || typeof value === 'boolean' ? `${typeof value} ${value}` : typeof value;
}

function valueAt(input: unknown, path: DocPath): unknown {
  let v = input;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, { readonly _zod: { readonly def: SchemaDef } }>;
  readonly innerType?: { readonly _zod: { readonly def: SchemaDef } };
  readonly element?: { readonly _zod: { readonly def: SchemaDef } };
  readonly valueType?: { readonly _zod: { readonly def: SchemaDef } };
  readonly options?: readonly { readonly _zod: { readonly def: SchemaDef } }[];
}

/** The keys the strict object at `path` accepts, found by walking the schema. */
function allowedKeysAt(path: DocPath): string[] {
  let defs: SchemaDef[] = [(policySchema as unknown as { _zod: { def: SchemaDef } })._zod.def];
  const unwrap = (ds: SchemaDef[]): SchemaDef[] =>
    ds.flatMap((d) => {
      if (d.type === 'optional' && d.innerType) return unwrap([d.innerType._zod.def]);
      if (d.type === 'union' && d.options) return unwrap(d.options.map((o) => o._zod.def));
      return [d];
    });
  for (const seg of path) {
    defs = unwrap(defs).flatMap((d) => {
      if (d.type === 'object' && d.shape && typeof seg === 'string') {
        const child = d.shape[seg];
        return child ? [child._zod.def] : [];
      }
      if (d.type === 'array' && d.element) return [d.element._zod.def];
      if (d.type === 'record' && d.valueType) return [d.valueType._zod.def];
      return [];
    });
  }
  return [
    ...new Set(unwrap(defs).flatMap((d) => (d.type === 'object' && d.shape ? Object.keys(d.shape) : []))),
  ];
}

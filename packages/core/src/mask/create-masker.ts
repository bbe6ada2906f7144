import { Buffer } from 'node:buffer';
import type { ColumnRuleConfig, MaskingProfileConfig, MaskStyle } from '../types.js';
import { compileGlob } from '../policy/glob.js';
import { compileDetectors, maxHoldBack } from './lib/compile-detectors.js';
import type { RenderSpan } from './lib/engine.js';
import { MaskEngine, mayContainFinding } from './lib/engine.js';
import { noteFinding } from './lib/finding-sink.js';
import { renderMasked } from './lib/render.js';
import { resolveDetectorSelection } from './resolve-detector-selection.js';
import { createMaskTransform } from './stream.js';
import type {
  CreateMaskerOptions,
  Masker,
  MaskColumn,
  MaskFinding,
  MaskResult,
  MaskValueContext,
} from './types.js';

const STYLES: ReadonlySet<string> = new Set(['redact', 'partial', 'hash', 'keep']);
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MEMO_LIMIT = 10_000;
const QUICK_CHECK_LIMIT = 4096;

interface Rule {
  readonly match: (input: string) => boolean;
  readonly style: MaskStyle;
  /** Column rules only: `predicates: allow`. */
  readonly predicates: boolean;
}

/**
 * Compiles a masking profile into a {@link Masker}. Compile once, mask many times.
 *
 * Content detection runs the profile's detectors (default: every built-in detector) and shows
 * each finding in the profile's style (default `redact`: `[REDACTED:<detector>]`). Column rules
 * (globs over the column name or its `schema.table.column` source) and field rules (globs over
 * JSON key names) apply a style to a whole value; the first matching rule, in the order written,
 * wins. Globs are case-insensitive.
 *
 * @example
 * ```ts
 * const masker = createMasker({ detectors: ['secrets', 'pii'], columns: { '*password*': 'redact' } });
 * masker.maskText('token ghp_…').text;                          // 'token [REDACTED:github-token]'
 * masker.maskRow({ id: 1, password: 'x' }, [{ name: 'id' }, { name: 'password' }]);
 * ```
 * @throws TypeError when the profile is malformed (unknown style, unknown detector or category,
 *   a bad glob), or when a `hash` style is used without `options.hashKey` of at least 16 bytes.
 */
export function createMasker(profile: MaskingProfileConfig = {}, options: CreateMaskerOptions = {}): Masker {
  const given: unknown = profile;
  if (typeof given !== 'object' || given === null)
    throw new TypeError('the masking profile must be an object');
  const style = profile.style ?? 'redact';
  checkStyle(style, 'style');
  const columnRules = compileRules(profile.columns, 'columns', true);
  const fieldRules = compileRules(profile.fields, 'fields', false);
  const usesHash = style === 'hash' || [...columnRules, ...fieldRules].some((r) => r.style === 'hash');
  const hashKey = options.hashKey;
  if (hashKey !== undefined && !(hashKey instanceof Uint8Array))
    throw new TypeError('hashKey must be a Uint8Array');
  if (usesHash && (hashKey === undefined || hashKey.byteLength < 16)) {
    throw new TypeError('the hash style needs options.hashKey: an HMAC key of at least 16 bytes');
  }
  const ids = resolveDetectorSelection(profile.detectors ?? ['all']);
  const set = compileDetectors(ids);
  const keyValueDetectors = set.defs.flatMap((d, i) => (d.keyValue === undefined ? [] : [i]));
  // Which key-value detectors accept a key name: cached, names repeat across rows.
  const keyMemo = new Map<string, readonly number[]>();
  const detectorsForKey = (key: string): readonly number[] => {
    let found = keyMemo.get(key);
    if (found === undefined) {
      found = keyValueDetectors.filter((det) => set.defs[det]?.keyValue?.acceptsKey(key) === true);
      remember(keyMemo, key, found);
    }
    return found;
  };
  // Kubernetes Secret values are always masked, even under a `keep` profile.
  const secretStyle: MaskStyle = style === 'keep' ? 'redact' : style;

  // Every replaced value is told to the finding sink in force (the gate counts them by label).
  const renderSpan: RenderSpan = (det, text) => {
    const label = set.defs[det]?.id ?? 'secret';
    if (style !== 'keep') noteFinding(label);
    return renderMasked(style, label, text, hashKey);
  };
  const render = (s: MaskStyle, label: string, text: string): string => {
    if (s !== 'keep') noteFinding(label);
    return renderMasked(s, label, text, hashKey);
  };

  let spare: MaskEngine | undefined;
  const maskText = (text: string): MaskResult => {
    if (typeof text !== 'string') throw new TypeError('maskText needs a string');
    const findings: MaskFinding[] = [];
    // Short values (table cells, JSON strings) are mostly clean: their check is cheaper than
    // the engine's pass.
    if (set.defs.length === 0 || text.length === 0) return { text, findings };
    if (text.length <= QUICK_CHECK_LIMIT && !mayContainFinding(set, text)) return { text, findings };
    // One engine masks short values one after another; a text masked while it is busy (from
    // a finding sink) gets its own.
    const engine = spare ?? new MaskEngine(set, renderSpan);
    spare = undefined;
    try {
      return { text: engine.whole(text, findings), findings };
    } finally {
      spare = engine;
    }
  };

  const columnMemo = new Map<string, Rule | null>();
  const fieldMemo = new Map<string, MaskStyle | null>();
  const columnRule = (column: string | undefined, source: string | undefined): Rule | undefined => {
    if (columnRules.length === 0 || (column === undefined && source === undefined)) return undefined;
    const key = `${column ?? ''}\u0000${source ?? ''}`;
    let found = columnMemo.get(key);
    if (found === undefined) {
      found = null;
      for (const rule of columnRules) {
        if ((column !== undefined && rule.match(column)) || (source !== undefined && rule.match(source))) {
          found = rule;
          break;
        }
      }
      remember(columnMemo, key, found);
    }
    return found ?? undefined;
  };
  const columnStyle = (column: string | undefined, source: string | undefined): MaskStyle | undefined =>
    columnRule(column, source)?.style;
  const fieldStyle = (field: string): MaskStyle | undefined => {
    if (fieldRules.length === 0) return undefined;
    let found = fieldMemo.get(field);
    if (found === undefined) {
      found = fieldRules.find((rule) => rule.match(field))?.style ?? null;
      remember(fieldMemo, field, found);
    }
    return found ?? undefined;
  };

  // A whole value in a style, keeping the shape of arrays and objects.
  const applyStyle = (s: MaskStyle, value: unknown, label: string): unknown => {
    if (s === 'keep' || value === null || value === undefined) return value;
    if (typeof value === 'string') return render(s, label, value);
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      return render(s, label, String(value));
    }
    if (value instanceof Date)
      return render(s, label, Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
    if (value instanceof Uint8Array) {
      return render(
        s,
        label,
        Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      );
    }
    if (Array.isArray(value)) return value.map((v) => applyStyle(s, v, label));
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = applyStyle(s, v, label);
      return out;
    }
    return render(s, label, stringifyOther(value));
  };

  // Content detection on a value, knowing the key (column or field name) it sits under.
  const maskContent = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      const r = maskText(value);
      if (r.findings.length > 0) return r.text;
      if (key !== undefined) {
        for (const det of detectorsForKey(key)) {
          if (set.defs[det]?.keyValue?.acceptsValue(value) === true) return renderSpan(det, value);
        }
      }
      return value;
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      const masked = maskContent(String(value), key);
      return masked === String(value) ? value : masked;
    }
    if (Array.isArray(value)) return value.map((v) => maskContent(v, key));
    if (isPlainObject(value)) return maskNode(value);
    return value;
  };

  const maskSecretObject = (secret: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(secret)) {
      if ((k === 'data' || k === 'stringData') && isPlainObject(v)) {
        out[k] = applyStyle(secretStyle, v, 'kubernetes-secret');
      } else if (k === 'metadata' && isPlainObject(v)) {
        out[k] = maskSecretMetadata(v);
      } else {
        out[k] = maskField(k, v);
      }
    }
    return out;
  };

  // `kubectl apply` keeps the whole Secret, data included, in an annotation.
  const maskSecretMetadata = (metadata: Readonly<Record<string, unknown>>): unknown => {
    const annotations = metadata['annotations'];
    const masked = maskNode(metadata) as Record<string, unknown>;
    if (isPlainObject(annotations) && typeof annotations[LAST_APPLIED] === 'string') {
      let replacement: string;
      try {
        const parsed: unknown = JSON.parse(annotations[LAST_APPLIED]);
        replacement = JSON.stringify(isPlainObject(parsed) ? maskSecretObject(parsed) : maskNode(parsed));
      } catch {
        replacement = render(secretStyle, 'kubernetes-secret', annotations[LAST_APPLIED]);
      }
      masked['annotations'] = {
        ...(masked['annotations'] as Record<string, unknown>),
        [LAST_APPLIED]: replacement,
      };
    }
    return masked;
  };

  const maskField = (key: string, value: unknown): unknown => {
    const s = fieldStyle(key);
    return s === undefined ? maskContent(value, key) : applyStyle(s, value, 'field');
  };

  const maskNode = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(maskNode);
    if (!isPlainObject(node)) return maskContent(node, undefined);
    if (node['kind'] === 'Secret' && typeof node['apiVersion'] === 'string') return maskSecretObject(node);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'items' && node['kind'] === 'SecretList' && Array.isArray(v)) {
        out[k] = v.map((item) => (isPlainObject(item) ? maskSecretObject(item) : maskNode(item)));
      } else {
        out[k] = maskField(k, v);
      }
    }
    return out;
  };

  const maskValue = (value: unknown, context?: MaskValueContext): unknown => {
    if (context === undefined) return maskContent(value, undefined);
    const byColumn = columnStyle(context.column, context.source);
    if (byColumn !== undefined) return applyStyle(byColumn, value, 'column');
    if (context.field !== undefined) {
      const byField = fieldStyle(context.field);
      if (byField !== undefined) return applyStyle(byField, value, 'field');
    }
    return maskContent(value, context.field ?? context.column);
  };

  const columnMaps = new WeakMap<readonly MaskColumn[], Map<string, MaskColumn>>();
  const maskRow = <Row extends Readonly<Record<string, unknown>> | readonly unknown[]>(
    row: Row,
    columns: readonly MaskColumn[],
  ): Row => {
    const givenColumns: unknown = columns;
    if (!Array.isArray(givenColumns)) throw new TypeError('maskRow needs the list of columns');
    const context = (
      c: MaskColumn | undefined,
      fallback: string | undefined,
    ): MaskValueContext | undefined =>
      c === undefined
        ? fallback === undefined
          ? undefined
          : { column: fallback }
        : c.source === undefined
          ? { column: c.name }
          : { column: c.name, source: c.source };
    const input: unknown = row;
    if (Array.isArray(input)) {
      return input.map((v: unknown, i) => maskValue(v, context(columns[i], undefined))) as unknown as Row;
    }
    if (typeof input !== 'object' || input === null)
      throw new TypeError('maskRow needs an object or an array');
    let byName = columnMaps.get(columns);
    if (byName === undefined) {
      byName = new Map(columns.map((c) => [c.name, c]));
      columnMaps.set(columns, byName);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) out[k] = maskValue(v, context(byName.get(k), k));
    return out as Row;
  };

  const masker: Masker = {
    detectors: ids,
    maxHoldBack: maxHoldBack(set),
    maskText,
    maskValue,
    maskRow,
    maskJson: (document) => maskNode(document),
    createStream: (streamOptions) => createMaskTransform(new MaskEngine(set, renderSpan), streamOptions),
    createTextStream: () => {
      const engine = new MaskEngine(set, renderSpan);
      return {
        write: (text) => engine.write(text),
        idle: () => engine.idle(),
        end: () => engine.end(),
      };
    },
    planColumn: (column) => {
      const byColumn = columnStyle(column.name, column.source);
      if (byColumn !== undefined) return (value) => applyStyle(byColumn, value, 'column');
      return (value) => maskContent(value, column.name);
    },
    hasColumnRules: columnRules.length > 0,
    columnRuled: (column) => columnStyle(column.name, column.source) !== undefined,
    columnRule: (column) => {
      const rule = columnRule(column.name, column.source);
      return rule === undefined ? undefined : { style: rule.style, predicates: rule.predicates };
    },
  };
  return masker;
}

function checkStyle(style: unknown, where: string): asserts style is MaskStyle {
  if (typeof style !== 'string' || !STYLES.has(style)) {
    throw new TypeError(
      `${where}: unknown mask style "${String(style)}" (use redact, partial, hash or keep)`,
    );
  }
}

function compileRules(
  rules: Readonly<Record<string, MaskStyle | ColumnRuleConfig>> | undefined,
  where: string,
  withOptions: boolean,
): Rule[] {
  const given: unknown = rules;
  if (given === undefined) return [];
  if (typeof given !== 'object' || given === null) throw new TypeError(`${where} must map globs to styles`);
  return Object.entries(given as Readonly<Record<string, unknown>>).map(([glob, value]) => {
    let style: unknown = value;
    let predicates = false;
    if (withOptions && typeof value === 'object' && value !== null) {
      const { style: s, predicates: p, ...rest } = value as Record<string, unknown>;
      const extra = Object.keys(rest)[0];
      if (extra !== undefined)
        throw new TypeError(`${where}.${glob}: unknown option "${extra}" (style, predicates)`);
      if (p !== undefined && p !== 'allow' && p !== 'deny')
        throw new TypeError(`${where}.${glob}.predicates: must be allow or deny`);
      style = s;
      predicates = p === 'allow';
    }
    checkStyle(style, `${where}.${glob}`);
    if (glob.length === 0) throw new TypeError(`${where}: empty glob`);
    try {
      // The policy's linear-time glob automaton (path flavour: `*` stays between `/`), matched
      // case-insensitively by lower-casing both sides; column names and JSON keys come from
      // query results an agent can shape, so a backtracking matcher would be a stall.
      const matcher = compileGlob(glob.toLowerCase(), 'path');
      return { match: (name: string) => matcher(name.toLowerCase()), style, predicates };
    } catch (err) {
      throw new TypeError(`${where}: invalid glob "${glob}"`, { cause: err });
    }
  });
}

// Values that are neither primitives nor plain data (class instances, Maps): their JSON, or
// their type when they have none, so hashing stays deterministic.
function stringifyOther(value: unknown): string {
  // JSON.stringify returns undefined for functions and symbols, whatever its declared type says.
  const json = JSON.stringify(value) as unknown;
  return typeof json === 'string' ? json : typeof value;
}

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

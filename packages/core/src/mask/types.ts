/**
 * Public types of the masking area: detectors, findings, the masker and its stream.
 *
 * @packageDocumentation
 */
import type { Transform } from 'node:stream';
import type { MaskStyle } from '../types.js';

/** What a detector finds: a credential (`secret`) or personal data (`pii`). */
export type DetectorCategory = 'secret' | 'pii';

/** One built-in detector, as listed by {@link listDetectors}. */
export interface DetectorInfo {
  /** Stable id, used in profiles (`detectors: [github-token]`) and in `[REDACTED:<id>]`. */
  readonly id: string;
  readonly category: DetectorCategory;
  /** What it finds and how it keeps false positives low. */
  readonly description: string;
}

/** One masked span of a text, in UTF-16 code units of the input. */
export interface MaskFinding {
  /** The detector that labels the span (the first of any overlapping matches). */
  readonly detector: string;
  readonly category: DetectorCategory;
  /** Start offset in the input text (inclusive). */
  readonly start: number;
  /** End offset in the input text (exclusive). */
  readonly end: number;
}

/** The outcome of masking one text. */
export interface MaskResult {
  /** The text with every finding replaced in the profile's style. */
  readonly text: string;
  /** What was masked, in input order. Never contains the secret itself. */
  readonly findings: readonly MaskFinding[];
}

/** What is known about where a value came from, for column and field rules. */
export interface MaskValueContext {
  /** The column name as returned by the database. */
  readonly column?: string;
  /** The column's source as `schema.table.column`, when the adapter knows it. */
  readonly source?: string;
  /** The JSON key (field) the value sits under. */
  readonly field?: string;
}

/** One column of a result set. */
export interface MaskColumn {
  readonly name: string;
  /** `schema.table.column`, when the adapter knows it. */
  readonly source?: string;
}

/** Options of {@link Masker.createStream}. */
export interface MaskStreamOptions {
  /**
   * After this many milliseconds without input, emit everything that can no longer be part of
   * a secret (for interactive streams). Absent: output waits for more input or the end.
   */
  readonly idleFlushMs?: number;
  /**
   * When set, the readable side emits strings in this encoding instead of Buffers
   * (as `readable.setEncoding` would).
   */
  readonly encoding?: BufferEncoding;
}

/** Options of {@link createMasker}. */
export interface CreateMaskerOptions {
  /**
   * The HMAC-SHA-256 key for the `hash` style (at least 16 bytes). Required when the profile
   * uses `hash` anywhere.
   */
  readonly hashKey?: Uint8Array;
}

/**
 * A masking profile compiled once: masks texts, values, rows, JSON documents and streams.
 * Every method is pure with respect to its input (inputs are never modified).
 */
export interface Masker {
  /** The detector ids this masker runs on content, in catalog order. */
  readonly detectors: readonly string[];
  /**
   * The most characters a stream may hold back while waiting to see whether they belong to a
   * secret (the longest bounded match plus context).
   */
  readonly maxHoldBack: number;
  /** Masks every finding in a text. */
  maskText(text: string): MaskResult;
  /** Masks one value: a column or field rule applies to the whole value, else content detection. */
  maskValue(value: unknown, context?: MaskValueContext): unknown;
  /** Masks one row, by column name (object rows) or position (array rows). */
  maskRow<Row extends Readonly<Record<string, unknown>> | readonly unknown[]>(
    row: Row,
    columns: readonly MaskColumn[],
  ): Row;
  /** Masks a parsed JSON document: field rules by key name, content detection on strings. */
  maskJson(document: unknown): unknown;
  /**
   * A Transform that masks a byte or string stream exactly as {@link Masker.maskText} masks the
   * whole. Its output Buffers may share memory with the stream's earlier output chunks (as
   * Node's pooled Buffers do); the memory around a chunk holds only that output and zeros.
   */
  createStream(options?: MaskStreamOptions): Transform;
  /**
   * The same streaming masking without a Node stream: `write` returns the masked text that is
   * final now (the rest is held back until it can no longer be part of a secret), `idle` emits
   * what is safe to show while input pauses, `end` the rest. Their concatenation equals
   * `maskText` of the whole input.
   */
  createTextStream(): TextStreamMasker;
  /**
   * One column's masking with its rule resolved once: the column rule's style when one
   * matches its name or source, else content detection (with the column name as the key).
   * What `maskValue(value, { column, source })` does, without the per-value rule lookup.
   */
  planColumn(column: MaskColumn): (value: unknown) => unknown;
  /** Whether the profile has any column rule. */
  readonly hasColumnRules: boolean;
  /** Whether a column rule applies to this column (its values are masked whatever their type). */
  columnRuled(column: MaskColumn): boolean;
  /**
   * The column rule that applies to this column, if any: its style, and whether it allows the
   * column in SQL predicates (`predicates: allow`).
   */
  columnRule(column: MaskColumn): { readonly style: MaskStyle; readonly predicates: boolean } | undefined;
}

/** Streaming masking of text (see {@link Masker.createTextStream}). */
export interface TextStreamMasker {
  write(text: string): string;
  idle(): string;
  end(): string;
}

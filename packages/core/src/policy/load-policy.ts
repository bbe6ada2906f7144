import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { PolicyError } from '../errors.js';
import { compilePolicyValue, type CompilePolicyOptions } from './compile-policy.js';
import { parseJsonSource, parseYamlSource } from './parse-source.js';
import { formatIssue } from './policy-issues.js';
import type { CompiledPolicy } from './policy-types.js';

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions extends CompilePolicyOptions {
  /** `yaml` or `json`; default from `file`'s extension, else `yaml` (JSON text is valid YAML too, but JSON is parsed strictly). */
  readonly format?: 'yaml' | 'json';
}

/** Options of {@link loadPolicyFile}. */
export type LoadPolicyFileOptions = Omit<CompilePolicyOptions, 'file' | 'baseDir'>;

/**
 * Parses policy text (YAML or JSON, docs/ §4), validates it and compiles it. Every problem
 * is reported at once, each with its line and column.
 *
 * @example
 * ```ts
 * const policy = parsePolicy(text, { file: 'portcullis.yaml' });
 * ```
 * @throws {PolicyError} (`ERR_POLICY_INVALID`) whose message lists every issue as
 *   `file:line:column: path: what is wrong — what to do`.
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): CompiledPolicy {
  if (typeof text !== 'string') throw new TypeError('parsePolicy: text must be a string');
  const format = options.format ?? formatOf(options.file) ?? 'yaml';
  const source = format === 'json' ? parseJsonSource(text) : parseYamlSource(text);
  if (!source.ok) {
    const issues = source.issues.map((i) => ({
      ...(options.file === undefined ? {} : { file: options.file }),
      line: i.position.line,
      column: i.position.column,
      path: '',
      message: i.message,
    }));
    throw new PolicyError(issues.map((i) => formatIssue(i, '')).join('\n'), issues);
  }
  return compilePolicyValue(source.value, options, source.locate);
}

/**
 * Reads and compiles a policy file. The format comes from the extension (`.json`, else YAML);
 * a relative `identity.jwks.file` is resolved against the policy file's folder.
 *
 * @example
 * ```ts
 * const policy = await loadPolicyFile('./portcullis.yaml');
 * ```
 * @throws {PolicyError} when the file cannot be read or is invalid.
 */
export async function loadPolicyFile(
  path: string,
  options: LoadPolicyFileOptions = {},
): Promise<CompiledPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const issue = {
      file: path,
      path: '',
      message: `cannot read the policy file: ${reason} — check the path`,
    };
    throw new PolicyError(formatIssue(issue, ''), [issue], { cause });
  }
  // A byte-order mark is not part of the document.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parsePolicy(text, { ...options, file: path, baseDir: dirname(resolve(path)) });
}

function formatOf(file: string | undefined): 'yaml' | 'json' | undefined {
  if (file === undefined) return undefined;
  const ext = extname(file).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
}

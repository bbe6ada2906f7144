import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from './did-you-mean.js';
import { UsageError } from './usage-error.js';

/** What {@link parseFlags} returns for a given option table. */
export type ParsedFlags<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` in strict mode, with its errors turned into usage errors (exit 2) that name
 * the command's usage. An unknown flag gets a did-you-mean; a single-value flag given twice is
 * an error rather than silently keeping the last one.
 */
export function parseFlags<T extends Options>(
  args: readonly string[],
  options: T,
  usage: string,
): ParsedFlags<T> {
  let parsed: ParsedFlags<T> & { tokens?: readonly { kind: string; name?: string }[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    const known = Object.keys(options).map((name) => `--${name}`);
    const guess = unknown === undefined ? undefined : didYouMean(unknown.split('=')[0] ?? unknown, known);
    const hint = guess === undefined ? '' : ` (did you mean ${guess}?)`;
    throw new UsageError(
      `${unknown === undefined ? message : `unknown option ${unknown}${hint}`}\n\n${usage}`,
    );
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const option = options[token.name];
    if (option === undefined || option.multiple === true) continue;
    if (seen.has(token.name)) {
      throw new UsageError(`--${token.name} is given more than once; give it once\n\n${usage}`);
    }
    seen.add(token.name);
  }
  const { values, positionals } = parsed;
  return { values, positionals };
}

/** The value of a required string flag. @throws UsageError when it is missing. */
export function required(value: string | boolean | undefined, flag: string, usage: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required\n\n${usage}`);
  return value;
}

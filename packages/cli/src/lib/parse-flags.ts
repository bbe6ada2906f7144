import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What {@link parseFlags} returns for a given option table. */
export type ParsedFlags<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` in strict mode, with its errors turned into usage errors (exit 2) that name
 * the command's usage.
 */
export function parseFlags<T extends Options>(
  args: readonly string[],
  options: T,
  usage: string,
): ParsedFlags<T> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

/** The value of a required string flag. @throws UsageError when it is missing. */
export function required(value: string | boolean | undefined, flag: string, usage: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required\n\n${usage}`);
  return value;
}

// getopt-style option parsing for wrapper commands, so the classifier finds the command a
// wrapper runs where the wrapper itself would (`sudo -u root -- rm` runs `rm`, not `root`).
import type { ShellWord } from './words.js';

/** Which options of a command take a value. Options not named here are flags. */
export interface OptionSpec {
  /** Short options whose value is attached (`-uroot`) or the next word (`-u root`). */
  readonly short?: string;
  /** Short options whose value can only be attached (`-e[EOF]`). */
  readonly shortOptional?: string;
  /** Long options whose value follows `=` or is the next word. */
  readonly long?: readonly string[];
  /** Long options whose value can only follow `=` (`--replace[=R]`). */
  readonly longOptional?: readonly string[];
  /**
   * Long options that take no value, named so that their abbreviations (`--ext` for
   * `--extract`) are reported by their full name. Other long options are reported as given.
   */
  readonly longFlags?: readonly string[];
  /** `-10` is an option (nice's old syntax), not an operand. */
  readonly numeric?: boolean;
  /** `+o name` is an option too (shells). */
  readonly plus?: boolean;
  /** Options may follow operands (GNU getopt's default); otherwise the first operand ends them. */
  readonly permute?: boolean;
}

/** One option as given: its short letter or full long name, and its value. */
export interface ParsedOption {
  readonly name: string;
  readonly value?: ShellWord;
}

/** A command line split into options and operands. */
export interface ParsedOptions {
  readonly options: readonly ParsedOption[];
  /** Operands in order; without `permute`, everything from the first operand on. */
  readonly operands: readonly ShellWord[];
}

/**
 * Splits `words` (without the command name) into options and operands by `spec`.
 * `undefined` when that cannot be decided statically: a word that is not literal where an
 * option may stand (it could expand to `-u` or to `--`), or an option missing its value.
 */
export function parseOptions(words: readonly ShellWord[], spec: OptionSpec): ParsedOptions | undefined {
  const options: ParsedOption[] = [];
  const operands: ShellWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === undefined) break;
    if (!word.literal || word.glob) {
      // An expansion or a glob could become `-u` or `--`, unless it cannot start with `-`.
      if (word.notOption !== true) return undefined;
      if (spec.permute !== true) {
        operands.push(...words.slice(i));
        break;
      }
      operands.push(word);
      continue;
    }
    const text = word.text;
    if (text === '--') {
      operands.push(...words.slice(i + 1));
      break;
    }
    const isOption =
      (text.startsWith('-') || (spec.plus === true && text.startsWith('+'))) && text.length > 1;
    if (!isOption) {
      if (spec.permute !== true) {
        operands.push(...words.slice(i));
        break;
      }
      operands.push(word);
      continue;
    }
    if (text.startsWith('--')) {
      const eq = text.indexOf('=');
      const given = eq === -1 ? text.slice(2) : text.slice(2, eq);
      // An exact name wins over an abbreviation of another.
      const exact = [spec.long, spec.longOptional, spec.longFlags].find((list) => list?.includes(given));
      const withValue =
        exact === undefined || exact === spec.long ? matchLong(given, spec.long ?? []) : undefined;
      const optional =
        exact === undefined || exact === spec.longOptional
          ? matchLong(given, spec.longOptional ?? [])
          : undefined;
      const flag =
        exact === undefined || exact === spec.longFlags ? matchLong(given, spec.longFlags ?? []) : undefined;
      const name = withValue ?? optional ?? flag ?? given;
      if (eq !== -1) {
        options.push({ name, value: { text: text.slice(eq + 1), literal: true, glob: false } });
      } else if (withValue !== undefined) {
        const value = words[++i];
        if (value === undefined) return undefined;
        options.push({ name, value });
      } else {
        options.push({ name });
      }
      continue;
    }
    if (spec.numeric === true && /^-\d+$/.test(text)) {
      options.push({ name: text.slice(1) });
      continue;
    }
    const chars = Array.from(text.slice(1));
    for (const [j, c] of chars.entries()) {
      const rest = chars.slice(j + 1).join('');
      if ((spec.short ?? '').includes(c)) {
        if (rest !== '') {
          options.push({ name: c, value: { text: rest, literal: true, glob: false } });
        } else {
          const value = words[++i];
          if (value === undefined) return undefined;
          options.push({ name: c, value });
        }
        break;
      }
      if ((spec.shortOptional ?? '').includes(c)) {
        options.push(
          rest === '' ? { name: c } : { name: c, value: { text: rest, literal: true, glob: false } },
        );
        break;
      }
      options.push({ name: c });
    }
  }
  return { options, operands };
}

/** getopt_long accepts any unambiguous prefix of a long option (`--us` for `--user`). */
function matchLong(given: string, names: readonly string[]): string | undefined {
  if (given === '') return undefined;
  if (names.includes(given)) return given;
  return names.find((n) => n.startsWith(given));
}

/** Whether any of `names` was given. */
export function hasOption(parsed: ParsedOptions, ...names: string[]): boolean {
  return parsed.options.some((o) => names.includes(o.name));
}

/** The last value given for any of `names`. */
export function optionValue(parsed: ParsedOptions, ...names: string[]): ShellWord | undefined {
  let value: ShellWord | undefined;
  for (const o of parsed.options) if (names.includes(o.name) && o.value !== undefined) value = o.value;
  return value;
}

// Ordinary programs that can run commands or write files through their own options and
// arguments (awk's system(), sed's e and -i, tar --to-command, ssh -o ProxyCommand, git -c,
// cp/mv targets, curl -o, …). Their command strings are classified and their targets are writes,
// so an allowed `tar` or `sed` cannot smuggle a command or a write past the policy.
import { hasOption, optionValue, parseOptions, type OptionSpec } from './options.js';
import type { ShellWord } from './words.js';
import type { WrapperEffect } from './effects.js';

type Handler = (args: readonly ShellWord[]) => readonly WrapperEffect[];

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];

function script(word: ShellWord | undefined): WrapperEffect {
  return word?.literal === true ? { kind: 'script', text: word.text } : { kind: 'unknown' };
}

function lit(text: string): ShellWord {
  return { text, literal: true, glob: false };
}

/**
 * awk programs that call system(), run a pipe (`cmd | getline`, `print | "cmd"`, `|&`), print to
 * a file (`print > "f"`) or load extensions. Comparisons (`$3 > max`) are not affected.
 */
const AWK_EFFECTS = /\bsystem\s*\(|\|\s*getline|\|&|\bprintf?\b[^;{}\n]*(>|\|)|@(load|include)\b/;

function awk(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'fvFWE',
    long: ['file', 'assign', 'field-separator', 'source', 'include', 'load', 'exec'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  // A program file, an extension library or an inline --source cannot be checked.
  if (hasOption(parsed, 'f', 'file', 'E', 'exec', 'load', 'l', 'include', 'i', 'source')) return UNKNOWN;
  const program = parsed.operands[0];
  if (program === undefined) return [];
  if (!program.literal || AWK_EFFECTS.test(program.text)) return UNKNOWN;
  return [];
}

/**
 * sed scripts with GNU's `e` command or the `e` flag of `s` run commands; `w FILE` writes.
 * A script is approximated by its text: any of those shapes makes it unknown.
 */
const SED_EFFECTS = [/(?:^|[;\n{}]|\d|\$|\/)\s*[eEwW](?:\s|$)/, /s(.).*\1.*\1[a-zA-Z0-9]*[ew]/s];

function sed(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'efl',
    shortOptional: 'i',
    long: ['expression', 'file', 'line-length'],
    longOptional: ['in-place'],
    permute: true,
  });
  if (parsed === undefined || hasOption(parsed, 'f', 'file')) return UNKNOWN;
  const scripts = parsed.options.filter((o) => o.name === 'e' || o.name === 'expression').map((o) => o.value);
  const operands = [...parsed.operands];
  if (scripts.length === 0) scripts.push(operands.shift());
  const effects: WrapperEffect[] = [];
  for (const s of scripts) {
    if (s === undefined || !s.literal || SED_EFFECTS.some((re) => re.test(s.text)))
      effects.push({ kind: 'unknown' });
  }
  // -i edits every file in place.
  if (hasOption(parsed, 'i', 'in-place'))
    effects.push(...operands.map((path): WrapperEffect => ({ kind: 'write', path })));
  return effects;
}

/** Options whose value is a command line the program runs, by program. */
function commandOptions(prefixes: readonly string[]): Handler {
  return (args) => {
    const effects: WrapperEffect[] = [];
    for (let i = 0; i < args.length; i++) {
      const word = args[i];
      if (word === undefined) break;
      if (!word.literal) continue;
      for (const p of prefixes) {
        if (p.endsWith('=') && word.text.startsWith(p)) effects.push(script(lit(word.text.slice(p.length))));
        else if (!p.endsWith('=') && word.text === p) effects.push(script(args[++i]));
        else if (!p.endsWith('=') && p.length === 2 && word.text.startsWith(p) && word.text.length > 2) {
          effects.push(script(lit(word.text.slice(2))));
        }
      }
    }
    return effects;
  };
}

function tar(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [
    ...commandOptions([
      '--to-command=',
      '--use-compress-program=',
      '--rsh-command=',
      '--info-script=',
      '--new-volume-script=',
      '-I',
      '-F',
    ])(args),
  ];
  for (const word of args) {
    if (!word.literal) continue;
    const m = /^--checkpoint-action=(?:exec|sh)=(.*)$/s.exec(word.text);
    if (m !== null) effects.push(script(lit(m[1] ?? '')));
    if (word.text.startsWith('--to-command') && !word.text.includes('=')) effects.push({ kind: 'unknown' });
  }
  return effects;
}

function ssh(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word?.literal !== true) continue;
    let option: ShellWord | undefined;
    if (word.text === '-o') option = args[++i];
    else if (word.text.startsWith('-o')) option = lit(word.text.slice(2));
    if (option === undefined) continue;
    if (!option.literal) {
      effects.push({ kind: 'unknown' });
      continue;
    }
    const m = /^\s*(proxycommand|localcommand|knownhostscommand|remotecommand)\s*[=\s]\s*(.*)$/is.exec(
      option.text,
    );
    if (m !== null) effects.push(script(lit(m[2] ?? '')));
  }
  return effects;
}

/** git configuration keys whose value is a command git runs. */
const GIT_COMMAND_KEYS =
  /^(core\.(pager|sshcommand|editor|fsmonitor|askpass)|sequence\.editor|diff\.external|gpg\.(program|\w+\.program)|pager\.[^=]+|credential\.helper|alias\.[^=]+|uploadpack\.packobjectshook)$/i;
/** git configuration keys whose effect cannot be resolved (hooks, includes, transports). */
const GIT_UNKNOWN_KEYS =
  /^(core\.hookspath|include\.path|includeif\..*|protocol\..*|core\.gitproxy|http\..*proxy.*|filter\..*|diff\..*\.textconv|merge\..*\.driver)$/i;

function git(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word?.literal !== true) continue;
    if (/^--(config-env|exec-path)=/.test(word.text)) {
      // A configuration value read from an environment variable, or git's helpers from another
      // directory: what runs cannot be known.
      effects.push({ kind: 'unknown' });
    } else if (word.text === '-c' || word.text === '--config-env') {
      const setting = args[++i];
      if (setting?.literal !== true) {
        effects.push({ kind: 'unknown' });
        continue;
      }
      const eq = setting.text.indexOf('=');
      const key = eq === -1 ? setting.text : setting.text.slice(0, eq);
      const value = eq === -1 ? '' : setting.text.slice(eq + 1);
      if (word.text === '--config-env' || GIT_UNKNOWN_KEYS.test(key)) effects.push({ kind: 'unknown' });
      else if (GIT_COMMAND_KEYS.test(key)) {
        // Aliases and credential helpers run a shell command only when they start with `!`.
        const shellCommand = /^(alias|credential)\./i.test(key) ? value.startsWith('!') : true;
        if (shellCommand) effects.push(script(lit(value.replace(/^!/, ''))));
      }
    } else if (/^--(upload-pack|receive-pack|exec)=/.test(word.text)) {
      effects.push(script(lit(word.text.slice(word.text.indexOf('=') + 1))));
    } else if (
      /^--(upload-pack|receive-pack|exec)$/.test(word.text) ||
      // `-u` is --upload-pack only for clone (`git stash -u` includes untracked files).
      (word.text === '-u' && args.slice(0, i).some((w) => w.literal && w.text === 'clone'))
    ) {
      effects.push(script(args[++i]));
    } else if (/^ext::/.test(word.text)) {
      effects.push({ kind: 'unknown' });
    }
  }
  return effects;
}

function netcat(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word?.literal !== true) continue;
    if (word.text === '-e' || word.text === '--exec') {
      const program = args[++i];
      effects.push(program === undefined ? { kind: 'unknown' } : { kind: 'argv', words: [program] });
    } else if (word.text === '-c' || word.text === '--sh-exec' || word.text === '--lua-exec') {
      effects.push(word.text === '--lua-exec' ? { kind: 'unknown' } : script(args[++i]));
    } else if (/^--(exec|sh-exec)=/.test(word.text)) {
      effects.push(script(lit(word.text.slice(word.text.indexOf('=') + 1))));
    }
  }
  return effects;
}

function socat(args: readonly ShellWord[]): readonly WrapperEffect[] {
  return args.some((w) => !w.literal || /^(exec|system)[:,]/i.test(w.text)) ? UNKNOWN : [];
}

/** cp, mv, install, ln: the destination (or `-t DIR`) is written; mv also removes its sources. */
function copyLike(spec: OptionSpec, movesSources: boolean): Handler {
  return (args) => {
    const parsed = parseOptions(args, { ...spec, permute: true });
    if (parsed === undefined) return UNKNOWN;
    const targetDir = optionValue(parsed, 't', 'target-directory');
    const operands = parsed.operands;
    const effects: WrapperEffect[] = [];
    if (targetDir !== undefined) {
      effects.push({ kind: 'write', path: targetDir });
      if (movesSources) effects.push(...operands.map((path): WrapperEffect => ({ kind: 'write', path })));
    } else if (operands.length >= 2 || (hasOption(parsed, 'd', 'directory') && operands.length >= 1)) {
      const written = movesSources ? operands : operands.slice(-1);
      effects.push(...written.map((path): WrapperEffect => ({ kind: 'write', path })));
    }
    return effects;
  };
}

function outputOption(short: string, long: string): Handler {
  return (args) => {
    const parsed = parseOptions(args, { short, long: [long], permute: true });
    if (parsed === undefined) return UNKNOWN;
    const out = optionValue(parsed, short, long);
    return out === undefined || (out.literal && out.text === '-') ? [] : [{ kind: 'write', path: out }];
  };
}

/** Programs with command-running options or file targets, by basename. */
export const PROGRAM_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk'].map((n) => [n, awk] as const),
  ['sed', sed],
  ['gsed', sed],
  ['tar', tar],
  ['gtar', tar],
  ['rsync', commandOptions(['-e', '--rsh=', '--rsync-path='])],
  ['ssh', ssh],
  ['scp', (args) => [...ssh(args), ...commandOptions(['-S'])(args)]],
  ['sftp', (args) => [...ssh(args), ...commandOptions(['-S', '-D'])(args)]],
  ['git', git],
  ...['nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd'].map((n) => [n, netcat] as const),
  ['socat', socat],
  [
    'cp',
    copyLike(
      {
        short: 'tS',
        long: ['target-directory', 'suffix', 'sparse'],
        longOptional: ['backup', 'reflink', 'preserve', 'no-preserve', 'update'],
      },
      false,
    ),
  ],
  [
    'mv',
    copyLike({ short: 'tS', long: ['target-directory', 'suffix'], longOptional: ['backup', 'update'] }, true),
  ],
  [
    'install',
    copyLike(
      {
        short: 'tSmogC',
        long: ['target-directory', 'suffix', 'mode', 'owner', 'group'],
        longOptional: ['backup'],
      },
      false,
    ),
  ],
  ['ln', copyLike({ short: 'tS', long: ['target-directory', 'suffix'], longOptional: ['backup'] }, false)],
  [
    'truncate',
    (args) => {
      const parsed = parseOptions(args, { short: 'sr', long: ['size', 'reference'], permute: true });
      return parsed === undefined
        ? UNKNOWN
        : parsed.operands.map((path): WrapperEffect => ({ kind: 'write', path }));
    },
  ],
  ['curl', outputOption('o', 'output')],
  ['wget', outputOption('O', 'output-document')],
  [
    'systemd-run',
    (args) => {
      const parsed = parseOptions(args, {
        short: 'upEMH',
        long: [
          'unit',
          'property',
          'setenv',
          'machine',
          'host',
          'uid',
          'gid',
          'nice',
          'working-directory',
          'description',
          'slice',
          'on-calendar',
          'on-active',
          'timer-property',
          'path-property',
          'socket-property',
        ],
      });
      if (parsed === undefined) return UNKNOWN;
      return parsed.operands.length === 0 ? [] : [{ kind: 'argv', words: parsed.operands }];
    },
  ],
]);

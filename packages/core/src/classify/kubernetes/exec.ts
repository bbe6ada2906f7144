// What an exec or attach starts inside a container. The API server authorizes only the verb on
// the pod (`create pods/exec`); the program that runs is in the query (`command=` once per
// argv element), and `stdin`/`tty` turn it into an interactive session. Policies need both to
// tell `kubectl exec web -- cat /var/log/app.log` from `kubectl exec -it web -- sh`.
import type { Action } from '../../types.js';
import { classifyShellCommand } from '../shell.js';

const UNKNOWN: Action = { operation: 'unknown' };

/**
 * The extra actions of an `exec` or `attach` request: for `exec`, one `command` action whose
 * resource is the argv joined by single spaces, plus the shell classifier's reading of that argv
 * (so `sh -c STRING` adds STRING's commands, and wrappers such as `env` or `timeout` add theirs)
 * with `exec` renamed `command`; `shell` on `podPath` when `stdin` or `tty` is set. An exec
 * without a command, a query key that differs from `command`, `stdin` or `tty` only by case, or
 * a shell classifier that is not loaded adds `unknown`.
 */
export function sessionActions(
  subresource: 'exec' | 'attach',
  podPath: string,
  query: ReadonlyMap<string, readonly string[]>,
): Action[] {
  const out: Action[] = [];
  for (const key of query.keys()) {
    const lower = key.toLowerCase();
    // The API server decodes exact names only; a look-alike key could still reach a server or
    // proxy that folds case, so it is not ignored.
    if ((lower === 'command' || lower === 'stdin' || lower === 'tty') && key !== lower) out.push(UNKNOWN);
  }
  const interactive = isSet(query.get('stdin')) || isSet(query.get('tty'));
  if (subresource === 'exec') out.push(...commandActions(query.get('command') ?? [], interactive));
  if (interactive) out.push({ operation: 'shell', resource: podPath });
  return out;
}

/**
 * A boolean query parameter as the API server converts it (true unless absent, `0` or `false`),
 * read strictly: any value that is not false makes it true.
 */
function isSet(values: readonly string[] | undefined): boolean {
  return values !== undefined && values.some((v) => v !== '0' && v.toLowerCase() !== 'false');
}

/**
 * The `command` actions of an exec argv. With stdin attached, a program that reads its script
 * from stdin (`sh`, `python3`, `bash -l`) runs whatever is typed: that is the interactive
 * session the `shell` action stands for, not an `unknown`.
 */
function commandActions(argv: readonly string[], interactive: boolean): Action[] {
  if (argv.length === 0) return [UNKNOWN];
  const out: Action[] = [{ operation: 'command', resource: argv.join(' ') }];
  let actions = shellReading(argv);
  if (interactive && actions.some((a) => a.operation === 'unknown')) {
    // Read again as if a script file were named: what stays unknown is not about stdin.
    const withScript = shellReading([...argv, '/dev/null']);
    if (!withScript.some((a) => a.operation === 'unknown')) {
      actions = actions.filter((a) => a.operation !== 'unknown');
    }
  }
  for (const action of actions) {
    out.push(action.operation === 'exec' ? { ...action, operation: 'command' } : action);
  }
  return out;
}

/**
 * The shell classifier's reading of an argv started without a shell. The container runtime
 * starts argv directly: quoting every word gives the shell classifier exactly that argv, so
 * its wrapper rules (`sh -c`, `env`, `timeout`, `xargs`, …) read what the program will run.
 */
function shellReading(argv: readonly string[]): readonly Action[] {
  const line = argv.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  try {
    return classifyShellCommand(line);
  } catch {
    // Not loaded (or a classifier failure): fail closed.
    return [UNKNOWN];
  }
}

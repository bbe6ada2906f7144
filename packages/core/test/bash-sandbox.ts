// Runs command lines in real bash inside a throw-away sandbox and reports every program bash
// started. Test support for the shell classifier's oracle (shell-oracle.test.ts); not shipped.
//
// The sandbox: a new mount, network and PID namespace (util-linux `unshare`, needs root); every
// PATH directory and the usual homes of absolute program paths shadowed by tmpfs mounts whose only
// files are symlinks to one logging stub; no network (an empty network namespace); each line in a
// fresh tmpfs working directory, as the unprivileged user nobody (`setpriv`), under a timeout and
// process/memory limits, with stdin from /dev/null. Real bash is copied aside before /usr/bin is
// shadowed. A name bash looks up that has no stub reaches `command_not_found_handle`, which logs it
// too and succeeds, so later parts of `&&` lists still run.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  symlinkSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One program bash started: the path it executed (or the name it could not find) and its argv. */
export interface Started {
  readonly program: string;
  readonly argv: readonly string[];
}

/** What one line did in the sandbox. */
export interface LineRun {
  readonly line: string;
  readonly started: readonly Started[];
  /** Bash's exit status; 124/137 when the timeout stopped it. */
  readonly status: number;
}

/** Directories shadowed by tmpfs mounts: PATH and where absolute program paths usually live. */
const SHADOWED = [
  '/usr/bin',
  '/usr/sbin',
  '/usr/local',
  '/opt',
  '/srv',
  '/home',
  '/root',
  '/tmp',
  '/var/tmp',
  '/run/lock',
  '/dev/shm',
  '/media',
];

/**
 * unshare's arguments for running `script` (bash, `$1` = `host`) in a new mount, network and
 * PID namespace that dies with it. Shared by the sandboxes of both oracles.
 *
 * @example
 * ```ts
 * spawnSync('/usr/bin/unshare', unshareArgs(SCRIPT, host), { timeout: 60_000 });
 * ```
 */
export function unshareArgs(script: string, host: string): string[] {
  return [
    '--mount',
    '--net',
    '--pid',
    '--fork',
    '--kill-child',
    '/bin/bash',
    '--norc',
    '--noprofile',
    '-c',
    script,
    'sandbox',
    host,
  ];
}

/**
 * The reason the sandbox cannot run here, or `undefined` when it can: it needs root (mount
 * namespaces), util-linux's `unshare` and `setpriv`, and bash.
 */
export function sandboxUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (mount namespaces need CAP_SYS_ADMIN)';
  for (const tool of ['/usr/bin/unshare', '/usr/bin/setpriv', '/usr/bin/timeout', '/bin/bash']) {
    if (!existsSync(tool)) return `${tool} is missing`;
  }
  const probe = spawnSync('/usr/bin/unshare', ['--mount', '--net', '--pid', '--fork', '/bin/true'], {
    timeout: 10_000,
  });
  if (probe.status !== 0) return `unshare failed: ${probe.stderr.toString().trim() || String(probe.error)}`;
  return undefined;
}

/** Words of a line that may name a program: stubs are made for each so lookups succeed. */
function candidateNames(line: string): string[] {
  return line.match(/[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}/g) ?? [];
}

/** Absolute and relative paths in a line that may be a program bash starts. */
function candidatePaths(line: string): { absolute: string[]; relative: string[] } {
  const absolute: string[] = [];
  const relative: string[] = [];
  for (const m of line.matchAll(
    /(?:^|[\s'"`(=;|&])((?:\.{0,2}\/|[A-Za-z0-9_.-]+\/)[A-Za-z0-9_.+/-]*[A-Za-z0-9_+-])/g,
  )) {
    const path = m[1] ?? '';
    if (path.includes('/../') || path.length > 200) continue;
    if (path.startsWith('/')) {
      if (SHADOWED.some((d) => path.startsWith(`${d}/`)) || /^\/(bin|sbin)\//.test(path)) absolute.push(path);
    } else {
      relative.push(path.replace(/^\.\//, ''));
    }
  }
  return { absolute, relative };
}

const SANDBOX_SCRIPT = String.raw`
set -eu
H=$1
mount --make-rprivate /
mount -t tmpfs -o size=64m,mode=0755 tmpfs /mnt
mkdir /mnt/o /mnt/w
mount --bind "$H" /mnt/o
O=/mnt/o
mkdir -p "$O/bin"
for tool in bash timeout setpriv unshare mount chmod chown cp; do
  cp "$(readlink -f "$(command -v "$tool")")" "$O/bin/$tool"
done
PATH=$O/bin
for d in ${SHADOWED.join(' ')}; do
  [ -d "$d" ] || continue
  mount -t tmpfs -o size=64m,mode=0755 tmpfs "$d"
  [ -d "$O/shadow$d" ] && cp -a "$O/shadow$d/." "$d/"
done
chmod 1777 /tmp /var/tmp /dev/shm /run/lock 2>/dev/null || true
mount -t tmpfs -o size=64m,mode=0755 tmpfs /mnt/w
cp -a "$O/work/." /mnt/w/
chown -R 65534:65534 /mnt/w
printf '%s\n' "#!$O/bin/bash" 'return 0 2>/dev/null' "read -r log < $O/current" 'printf "%s\\0" "$#" "$0" "$@" >> "$log"' 'exit 0' > "$O/stub"
chmod 0755 "$O/stub"
n=$(< "$O/count")
for ((i = 0; i < n; i++)); do
  echo "$O/out/$i" > "$O/current"
  : > "$O/out/$i"
  chmod 0666 "$O/out/$i"
  # Each line is PID 1 of its own PID namespace: when it exits, whatever it left running in
  # the background dies with it instead of logging into the next line's record.
  status=0
  ( ulimit -u 64 -v 2000000 -f 65536
    cd "/mnt/w/$i"
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/mnt/w/$i
    exec "$O/bin/timeout" -s KILL 1.5 "$O/bin/unshare" --pid --fork --kill-child \
      "$O/bin/setpriv" --reuid=65534 --regid=65534 --clear-groups \
      "$O/bin/bash" --norc --noprofile "$O/lines/$i" < /dev/null > /dev/null 2>&1 ) || status=$?
  echo "$status" > "$O/status/$i"
done
`;

/** Where the stub is inside the sandbox (the host folder is bind-mounted at /mnt/o). */
const STUB = '/mnt/o/stub';

/** Defines command_not_found_handle for the line's bash: the name is logged and succeeds. */
const NOT_FOUND_HANDLER = (log: string): string =>
  `() { printf '%s\\0' "$(($# - 1))" "$@" >> ${log}; return 0; }`;

/**
 * Runs each line in its own bash process inside one sandbox and returns what each started.
 * Lines run one after another, each in a fresh working directory with a fresh log; background
 * jobs a line leaves are killed with it (timeout signals its process group).
 */
export function runInSandbox(
  lines: readonly string[],
  extraNames: readonly string[] = [],
  timeoutMs = 600_000,
): LineRun[] {
  const host = mkdtempSync(join(tmpdir(), 'portcullis-bash-oracle-'));
  try {
    // nobody must reach the stub and the lines through the bind mount of this folder.
    chmodSync(host, 0o755);
    for (const d of ['lines', 'out', 'status', 'work', 'shadow/usr/bin'])
      mkdirSync(join(host, d), { recursive: true });
    chmodSync(join(host, 'out'), 0o777);
    chmodSync(join(host, 'status'), 0o777);
    // Stubs are symlinks made here and copied into the tmpfs mounts inside the sandbox.
    const stub = (path: string): void => {
      try {
        mkdirSync(dirname(path), { recursive: true });
        symlinkSync(STUB, path);
      } catch {
        // A name that is also a directory, or already there: one stub is enough.
      }
    };
    const names = new Set<string>(extraNames);
    lines.forEach((line, i) => {
      writeFileSync(join(host, 'lines', String(i)), line);
      for (const name of candidateNames(line)) names.add(name);
      const { absolute, relative } = candidatePaths(line);
      for (const p of absolute) stub(join(host, 'shadow', p.replace(/^\/(s?bin)\//, '/usr/$1/')));
      mkdirSync(join(host, 'work', String(i)));
      for (const p of relative) stub(join(host, 'work', String(i), p));
    });
    for (const name of names) stub(join(host, 'shadow/usr/bin', name));
    writeFileSync(join(host, 'count'), String(lines.length));
    writeFileSync(join(host, 'current'), join(host, 'setup-log'));
    chmodSync(join(host, 'current'), 0o666);
    const result = spawnSync('/usr/bin/unshare', unshareArgs(SANDBOX_SCRIPT, host), {
      timeout: timeoutMs,
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        HOME: '/root',
        'BASH_FUNC_command_not_found_handle%%': NOT_FOUND_HANDLER('"$(< /mnt/o/current)"'),
      },
      maxBuffer: 16 * 1024 * 1024,
      // Not a socket: bash run with a socket as stdin reads ~/.bashrc as if sshd had started it.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status !== 0) {
      throw new Error(`sandbox failed (${String(result.status)}): ${result.stderr.toString().slice(-2000)}`);
    }
    return lines.map((line, i) => ({
      line,
      started: parseLog(readFileSync(join(host, 'out', String(i)))),
      status: Number(readFileSync(join(host, 'status', String(i)), 'utf8').trim()),
    }));
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
}

/** Records are `argc \0 argv0 \0 … \0`; the not-found handler's argv0 is the name looked up. */
function parseLog(log: Buffer): Started[] {
  const fields = log.toString('utf8').split('\0');
  const out: Started[] = [];
  for (let i = 0; i + 1 < fields.length;) {
    const argc = Number(fields[i]);
    if (!Number.isInteger(argc) || argc < 0) break;
    const argv = fields.slice(i + 1, i + 2 + argc);
    out.push({ program: argv[0] ?? '', argv });
    i += 2 + argc;
  }
  return out;
}

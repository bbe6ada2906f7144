// Runs command lines with the REAL programs of this machine inside a throw-away sandbox and reports
// what each line did to its working directory and every time it ran the stub program `victim`.
// Test support for the program oracle (program-oracle.test.ts); not shipped.
//
// The sandbox: a new mount, network and PID namespace (util-linux `unshare`, needs root), so there
// is no network and /tmp, /var/tmp, /dev/shm and /run/lock are empty tmpfs mounts. /usr/bin is NOT
// shadowed: the real programs run. Only a directory holding the `victim` stub comes first on PATH;
// the stub appends its argv to a log outside the working directory. Each line runs in a fresh copy
// of a fixture directory (bind-mounted at SANDBOX_CWD), as the unprivileged user nobody
// (`setpriv`), with stdin from /dev/null, under a timeout and process/memory/file-size limits, in
// its own PID namespace whose init waits for whatever the line left running (a tmux server, a
// session bus) before the next line starts. The working directory is snapshotted (lstat walk plus
// a content hash of regular files) before and after the line.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxUnavailable, unshareArgs } from './bash-sandbox.js';

/** Where each line's working directory is inside the sandbox (lines may name it literally). */
export const SANDBOX_CWD = '/mnt/cwd';

/** The PATH the lines see after the stub directory (the host's real program directories). */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Seconds a line may run (with whatever it left running) before it is killed. */
const LINE_TIMEOUT_SECONDS = 10;

/** What happened to one path under the working directory. */
export interface Change {
  /** Relative to the working directory, `/`-separated; `.` for the directory itself. */
  readonly path: string;
  readonly kind: 'created' | 'removed' | 'modified';
}

/** What one line did in the sandbox. */
export interface ProgramRun {
  readonly line: string;
  /** The line's exit status; 137 when the timeout killed it. */
  readonly status: number;
  /** Paths under the working directory created, removed or changed, sorted by path. */
  readonly changes: readonly Change[];
  /** The argv (without `victim` itself) of every run of the stub, in order. */
  readonly victims: readonly (readonly string[])[];
  /** The end of what the line wrote to stdout and stderr (for failure messages). */
  readonly output: string;
}

/**
 * The reason the sandbox cannot run here, or `undefined` when it can: it needs Linux, root (mount
 * namespaces) and util-linux's `unshare` and `setpriv` (see bash-sandbox.ts).
 *
 * @example
 * ```ts
 * const unavailable = programSandboxUnavailable();
 * describe.skipIf(unavailable !== undefined)(`oracle (skipped: ${unavailable ?? ''})`, () => {});
 * ```
 */
export function programSandboxUnavailable(): string | undefined {
  return sandboxUnavailable();
}

/**
 * The absolute path of `name` in the PATH the lines see (without the stub directory), or
 * `undefined` when no executable of that name is installed.
 *
 * @example
 * ```ts
 * if (findProgram('unzip') === undefined) throw new Error('unzip is missing: apt-get install unzip');
 * ```
 */
export function findProgram(name: string): string | undefined {
  for (const dir of SYSTEM_PATH.split(':')) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Fixture files: name → content. */
const TEXT: Readonly<Record<string, string>> = {
  'f.txt': 'alpha\nbeta\ngamma\n',
  'g.txt': 'one\ntwo\n',
  'd/h.txt': 'hello\n',
  'fix.diff': '--- f.txt\n+++ f.txt\n@@ -1,3 +1,3 @@\n alpha\n-beta\n+BETA\n gamma\n',
};

/** Programs the fixtures are made with → their Debian packages. */
const FIXTURE_TOOLS: Readonly<Record<string, string>> = {
  tar: 'tar',
  zip: 'zip',
  ar: 'binutils',
  'ssh-keygen': 'openssh-client',
  git: 'git',
  chown: 'coreutils',
  cp: 'coreutils',
};

function run(program: string, args: readonly string[], cwd: string, home: string): void {
  const result: SpawnSyncReturns<Buffer> = spawnSync(program, args, {
    cwd,
    timeout: 30_000,
    env: {
      PATH: SYSTEM_PATH,
      HOME: home,
      LANG: 'C.UTF-8',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    const why = result.error === undefined ? result.stderr.toString().trim() : String(result.error);
    throw new Error(`making the fixtures: ${program} ${args.join(' ')} failed: ${why}`);
  }
}

/**
 * Makes the fixture directory every line starts from: f.txt, g.txt (mode 0640, so `chmod
 * --reference` changes something), d/h.txt, e/ (empty), arch.tar (x1.txt), arch.zip (z1.txt),
 * lib.a (a1.txt), k and k.pub (ed25519, no passphrase), src.git (bare, one commit), fix.diff
 * (changes line 2 of f.txt, for `patch -p0`) and home/ (empty, the lines' HOME). Owned by nobody.
 */
function makeFixtures(dir: string, stage: string): void {
  for (const [tool, pkg] of Object.entries(FIXTURE_TOOLS)) {
    if (findProgram(tool) === undefined) {
      throw new Error(`making the fixtures: ${tool} is not installed (Debian package ${pkg})`);
    }
  }
  const home = join(stage, 'home');
  mkdirSync(home, { recursive: true });
  for (const sub of ['d', 'e', 'home']) mkdirSync(join(dir, sub), { recursive: true });
  for (const [name, content] of Object.entries(TEXT)) writeFileSync(join(dir, name), content);
  chmodSync(join(dir, 'g.txt'), 0o640);
  for (const member of ['x1.txt', 'z1.txt', 'a1.txt']) writeFileSync(join(stage, member), `${member}\n`);
  run('tar', ['-cf', join(dir, 'arch.tar'), 'x1.txt'], stage, home);
  run('zip', ['-q', join(dir, 'arch.zip'), 'z1.txt'], stage, home);
  run('ar', ['rc', join(dir, 'lib.a'), 'a1.txt'], stage, home);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fixture', '-f', join(dir, 'k')], stage, home);
  const repo = join(stage, 'repo');
  const git = ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.invalid'];
  run('git', [...git, 'init', '-q', repo], stage, home);
  writeFileSync(join(repo, 'README'), 'fixture\n');
  run('git', [...git, '-C', repo, 'add', 'README'], stage, home);
  run('git', [...git, '-C', repo, 'commit', '-q', '-m', 'fixture'], stage, home);
  run('git', ['clone', '-q', '--bare', repo, join(dir, 'src.git')], stage, home);
  run('chown', ['-R', '65534:65534', dir], stage, home);
}

/** One path's state: everything that counts as a change (not atime or ctime; see snapshot). */
function describePath(path: string): string {
  const st = lstatSync(path, { bigint: true });
  const common = `${(st.mode & 0o7777n).toString(8)} ${String(st.uid)}:${String(st.gid)}`;
  if (st.isDirectory()) return `dir ${common}`;
  // Content, size and mtime: a rewrite with the same bytes (`sed -i`, `touch`) still shows.
  const times = `${String(st.size)} ${String(st.mtimeNs)}`;
  if (st.isFile()) {
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    return `file ${common} ${times} ${hash}`;
  }
  if (st.isSymbolicLink()) return `link ${common} ${readlinkSync(path)}`;
  if (st.isFIFO()) return `fifo ${common} ${times}`;
  if (st.isSocket()) return `socket ${common}`;
  return `device ${common} ${String(st.rdev)}`;
}

/**
 * Every path under `root` (recursive, symlinks not followed) → its state. A directory's mtime is
 * left out: it changes whenever an entry is added or removed, and that entry is reported itself.
 */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = rel === '.' ? root : join(root, rel);
    const state = describePath(abs);
    out.set(rel, state);
    if (!state.startsWith('dir ')) return;
    for (const name of readdirSync(abs).sort()) walk(rel === '.' ? name : `${rel}/${name}`);
  };
  walk('.');
  return out;
}

function diff(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Change[] {
  const out: Change[] = [];
  for (const [path, state] of after) {
    const was = before.get(path);
    if (was === undefined) out.push({ path, kind: 'created' });
    else if (was !== state) out.push({ path, kind: 'modified' });
  }
  for (const path of before.keys()) if (!after.has(path)) out.push({ path, kind: 'removed' });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Appends one record per run: `argc \0 arg1 \0 … argN \0`. */
const STUB = `#!/bin/sh\nprintf '%s\\0' "$#" "$@" >> /mnt/log/victim\n`;

/**
 * PID 1 of each line's PID namespace (root): runs the line as nobody with a clean environment,
 * then waits until nothing else is left in the namespace (a daemon the line started may still be
 * running what it was asked to run), and exits with the line's status. The outer timeout kills
 * the namespace when that takes too long.
 */
const INIT = String.raw`
status=0
/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
  /usr/bin/env -i PATH=/mnt/stub:${SYSTEM_PATH} HOME=${SANDBOX_CWD}/home USER=nobody LOGNAME=nobody \
  SHELL=/bin/sh LANG=C.UTF-8 TERM=dumb /bin/bash --norc --noprofile "$1" || status=$?
while :; do
  busy=0
  for p in /proc/[0-9]*; do
    [ "$p" = /proc/1 ] && continue
    stat=
    read -r stat < "$p/stat" 2>/dev/null || continue
    case "$stat" in *') Z '*) continue ;; esac
    busy=1
    break
  done
  [ "$busy" = 0 ] && break
  sleep 0.05
done
exit "$status"
`;

const SANDBOX_SCRIPT = String.raw`
set -eu
H=$1
mount --make-rprivate /
mount -t tmpfs -o size=16m,mode=0755 tmpfs /mnt
mkdir /mnt/o /mnt/cwd /mnt/stub /mnt/log
mount --bind "$H" /mnt/o
O=/mnt/o
for d in /tmp /var/tmp /dev/shm /run/lock; do
  if [ -d "$d" ]; then mount -t tmpfs -o size=64m,mode=1777 tmpfs "$d"; fi
done
cp "$O/stub" /mnt/stub/victim
chmod 0755 /mnt/stub/victim
n=$(cat "$O/count")
i=0
while [ "$i" -lt "$n" ]; do
  mount --bind "$O/work/$i" ${SANDBOX_CWD}
  : > /mnt/log/victim
  chmod 0666 /mnt/log/victim
  status=0
  ( ulimit -u 256 -v 4000000 -f 65536 -c 0
    cd ${SANDBOX_CWD}
    exec timeout -s KILL ${String(LINE_TIMEOUT_SECONDS)} unshare --pid --mount --fork --kill-child --mount-proc \
      /bin/bash --norc --noprofile "$O/init" "$O/lines/$i"
  ) < /dev/null > "$O/out/$i" 2>&1 || status=$?
  echo "$status" > "$O/status/$i"
  cp /mnt/log/victim "$O/victim/$i"
  umount -l ${SANDBOX_CWD}
  i=$((i + 1))
done
`;

function parseVictims(log: Buffer): string[][] {
  const fields = log.toString('utf8').split('\0');
  const out: string[][] = [];
  for (let i = 0; i + 1 < fields.length;) {
    const argc = Number(fields[i]);
    if (!Number.isInteger(argc) || argc < 0) break;
    out.push(fields.slice(i + 1, i + 1 + argc));
    i += 1 + argc;
  }
  return out;
}

/**
 * Runs each line with real programs, one after another in one sandbox, each in a fresh working
 * directory of fixtures (see the file comment), and returns what each did. Throws when the
 * fixtures cannot be made (a missing tool) or the sandbox fails; see
 * {@link programSandboxUnavailable} first.
 *
 * @example
 * ```ts
 * const [run] = runPrograms(['tar -xf arch.tar', 'timeout 5 victim a']);
 * // run.changes → [{ path: 'x1.txt', kind: 'created' }]; the second run's victims → [['a']]
 * ```
 */
export function runPrograms(lines: readonly string[], timeoutMs = 600_000): ProgramRun[] {
  const host = mkdtempSync(join(tmpdir(), 'portcullis-program-oracle-'));
  try {
    // nobody reaches the stub and the lines through the bind mount of this folder; the work
    // folders only through their own bind mount at SANDBOX_CWD.
    chmodSync(host, 0o755);
    for (const d of ['lines', 'out', 'status', 'victim', 'work', 'template', 'stage'])
      mkdirSync(join(host, d));
    chmodSync(join(host, 'work'), 0o700);
    makeFixtures(join(host, 'template'), join(host, 'stage'));
    writeFileSync(join(host, 'stub'), STUB);
    writeFileSync(join(host, 'init'), INIT);
    writeFileSync(join(host, 'count'), String(lines.length));
    lines.forEach((line, i) => {
      writeFileSync(join(host, 'lines', String(i)), line);
    });
    const copy = spawnSync(
      '/bin/bash',
      [
        '-c',
        'for ((i = 0; i < $2; i++)); do cp -a "$1/template" "$1/work/$i"; done',
        'copy',
        host,
        String(lines.length),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (copy.status !== 0) throw new Error(`copying the fixtures failed: ${copy.stderr.toString()}`);
    const before = lines.map((_, i) => snapshot(join(host, 'work', String(i))));
    const result = spawnSync('/usr/bin/unshare', unshareArgs(SANDBOX_SCRIPT, host), {
      timeout: timeoutMs,
      env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', HOME: '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
    if (result.status !== 0) {
      const why = result.error === undefined ? result.stderr.toString().slice(-2000) : String(result.error);
      throw new Error(`sandbox failed (${String(result.status)}): ${why}`);
    }
    return lines.map((line, i) => ({
      line,
      status: Number(readFileSync(join(host, 'status', String(i)), 'utf8').trim()),
      changes: diff(before[i]!, snapshot(join(host, 'work', String(i)))),
      victims: parseVictims(readFileSync(join(host, 'victim', String(i)))),
      output: readFileSync(join(host, 'out', String(i)), 'utf8').slice(-2000),
    }));
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
}

// The program oracle: real programs run each line in a sandbox (program-sandbox.ts) and the
// shell classifier must report what they really did. Every line must first really do what the
// table says: exit 0, change exactly the listed paths, run `victim` exactly as listed (so a wrong
// line or a missing program fails here, naming its Debian package). Then, unless the classifier calls
// the line `unknown` (allowed only when the entry is not `precise`), every path the line created,
// removed or changed must be covered by a reported `write`, and every run of the stub `victim`
// must be reported as `exec victim <its argv>`.
import { posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../src/types.js';
import { classifyShellCommand, loadShellClassifier } from '../src/classify/shell.js';
import {
  findProgram,
  programSandboxUnavailable,
  runPrograms,
  SANDBOX_CWD,
  type ProgramRun,
} from './program-sandbox.js';

const unavailable = programSandboxUnavailable();

/** One line and what it really does. */
interface Case {
  readonly line: string;
  /**
   * The paths it really creates, removes or changes under its working directory: each pattern
   * must match a changed path and each changed path a pattern. `*` matches within one path
   * segment; `x/**` matches `x` and everything under it. Absent: changes nothing.
   */
  readonly changes?: readonly string[];
  /** The argv of each run of `victim`, in order. Absent: never runs it. */
  readonly victim?: readonly (readonly string[])[];
  /** When set, `unknown` is a failure: the classifier must resolve this line. */
  readonly precise: boolean;
  /** Programs the line needs (default: its first word); each must be in PACKAGES. */
  readonly needs?: readonly string[];
}

/** The sandbox working directory, for lines that name it literally (curl's file:// URLs). */
const ABS = SANDBOX_CWD;

const CASES: readonly Case[] = [
  // tar
  { line: 'tar -xf arch.tar', changes: ['x1.txt'], precise: true },
  { line: 'tar xf arch.tar', changes: ['x1.txt'], precise: true },
  { line: 'tar -xf arch.tar -C d', changes: ['d/x1.txt'], precise: true },
  { line: 'tar -C d -xf arch.tar', changes: ['d/x1.txt'], precise: true },
  { line: 'tar --extract --file=arch.tar --directory=d', changes: ['d/x1.txt'], precise: true },
  { line: 'tar -cf new.tar f.txt', changes: ['new.tar'], precise: true },
  { line: 'tar cf new.tar f.txt', changes: ['new.tar'], precise: true },
  { line: 'tar -czf new.tgz f.txt', changes: ['new.tgz'], precise: true, needs: ['tar', 'gzip'] },
  { line: 'tar -rf arch.tar f.txt', changes: ['arch.tar'], precise: true },
  { line: 'tar -cf new.tar --remove-files f.txt', changes: ['new.tar', 'f.txt'], precise: true },
  { line: 'tar -tf arch.tar', precise: true },
  { line: 'tar -xOf arch.tar', precise: true },
  { line: 'tar -cf - f.txt', precise: true },
  // zip
  { line: 'unzip -q arch.zip', changes: ['z1.txt'], precise: true },
  { line: 'unzip -q -d d arch.zip', changes: ['d/z1.txt'], precise: true },
  { line: 'zip -q new.zip f.txt', changes: ['new.zip'], precise: true },
  { line: 'zip -q -m new.zip f.txt', changes: ['new.zip', 'f.txt'], precise: true },
  { line: 'unzip -l arch.zip', precise: true },
  { line: 'unzip -p arch.zip', precise: true },
  // split, csplit
  { line: 'split -l 1 f.txt', changes: ['xaa', 'xab', 'xac'], precise: true },
  { line: 'split -l 1 f.txt d/part', changes: ['d/partaa', 'd/partab', 'd/partac'], precise: true },
  { line: 'csplit -s f.txt 2', changes: ['xx00', 'xx01'], precise: true },
  { line: 'csplit -s -f d/pp f.txt 2', changes: ['d/pp00', 'd/pp01'], precise: true },
  // xxd, openssl, ssh-keygen
  { line: 'xxd f.txt out.hex', changes: ['out.hex'], precise: true },
  { line: 'xxd f.txt x.hex && xxd -r x.hex y.bin', changes: ['x.hex', 'y.bin'], precise: true },
  {
    line: 'openssl enc -aes-256-cbc -pbkdf2 -pass pass:k -in f.txt -out e.bin',
    changes: ['e.bin'],
    precise: true,
  },
  { line: 'openssl rand -out r.bin 16', changes: ['r.bin'], precise: true },
  { line: "ssh-keygen -q -t ed25519 -N '' -f nk", changes: ['nk', 'nk.pub'], precise: true },
  { line: "ssh-keygen -q -p -N new -P '' -f k", changes: ['k'], precise: true },
  { line: 'ssh-keygen -q -s k -I id -n u k.pub', changes: ['k-cert.pub'], precise: true },
  { line: 'ssh-keygen -q -Y sign -f k -n file f.txt', changes: ['f.txt.sig'], precise: true },
  {
    line: "{ printf 'h1 '; cat k.pub; } > kh && ssh-keygen -q -H -f kh",
    changes: ['kh', 'kh.old'],
    precise: true,
    needs: ['ssh-keygen'],
  },
  { line: 'ssh-keygen -l -f k', precise: true },
  { line: 'ssh-keygen -y -f k', precise: true },
  // git
  { line: 'git init -q repo', changes: ['repo/**'], precise: true },
  { line: 'git init -q', changes: ['.git/**'], precise: true },
  { line: 'git clone -q src.git dst', changes: ['dst/**'], precise: true },
  { line: 'git clone -q src.git', changes: ['src/**'], precise: true },
  // git records in the repository (here the bare src.git) and writes what its options name
  { line: 'git -C src.git tag v1', changes: ['src.git/refs/tags/v1'], precise: true },
  { line: 'git --git-dir=src.git branch b1', changes: ['src.git/refs/heads/b1'], precise: true },
  { line: 'git -C src.git config user.name x', changes: ['src.git/config'], precise: true },
  { line: 'git -C src.git config core.pager victim', changes: ['src.git/config'], precise: true },
  { line: 'git -C src.git bundle create ../b.bundle HEAD', changes: ['b.bundle'], precise: true },
  { line: 'git -C src.git archive -o ../a.tar HEAD', changes: ['a.tar'], precise: true },
  { line: 'git --git-dir=src.git log --output=l.txt', changes: ['l.txt'], precise: true },
  { line: 'git -C src.git format-patch -q -1 -o ../p HEAD', changes: ['p/**'], precise: true },
  // copies: scp with two local paths runs cp
  { line: 'rsync f.txt d/', changes: ['d/f.txt'], precise: true },
  { line: 'rsync -a d/ n/', changes: ['n', 'n/h.txt'], precise: true },
  { line: 'scp f.txt d/', changes: ['d/f.txt'], precise: true },
  // curl over file:// URLs (no network)
  { line: `curl -s -o out.txt file://${ABS}/f.txt`, changes: ['out.txt'], precise: true },
  { line: `curl -s -O file://${ABS}/d/h.txt`, changes: ['h.txt'], precise: true },
  { line: `curl -s --output-dir d -O file://${ABS}/f.txt`, changes: ['d/f.txt'], precise: true },
  { line: `curl -s -D hdr.txt -o /dev/null file://${ABS}/f.txt`, changes: ['hdr.txt'], precise: true },
  { line: `curl -s --trace tr.txt -o /dev/null file://${ABS}/f.txt`, changes: ['tr.txt'], precise: true },
  // create, delete, re-permission
  { line: 'rm f.txt', changes: ['f.txt'], precise: true },
  { line: 'rm -r d', changes: ['d', 'd/h.txt'], precise: true },
  { line: 'rmdir e', changes: ['e'], precise: true },
  { line: 'unlink f.txt', changes: ['f.txt'], precise: true },
  { line: 'mkdir -p n/m', changes: ['n', 'n/m'], precise: true },
  { line: 'mkfifo p', changes: ['p'], precise: true },
  { line: 'mknod p2 p', changes: ['p2'], precise: true },
  { line: 'chmod 600 f.txt', changes: ['f.txt'], precise: true },
  { line: 'chmod --reference=g.txt f.txt', changes: ['f.txt'], precise: true },
  { line: 'mktemp -p d', changes: ['d/tmp.*'], precise: true },
  { line: 'mktemp tmpXXXX', changes: ['tmp*'], precise: true },
  { line: 'ln -s f.txt l', changes: ['l'], precise: true },
  { line: 'touch n.txt', changes: ['n.txt'], precise: true },
  { line: 'ar rc new.a f.txt', changes: ['new.a'], precise: true },
  { line: 'ar x lib.a', changes: ['a1.txt'], precise: true },
  { line: 'ar t lib.a', precise: true },
  // sqlite3: the database (created when missing); files through SQL: may be refused
  { line: "sqlite3 n.db 'create table t(a)'", changes: ['n.db'], precise: true },
  { line: "sqlite3 n.db 'select 1'", changes: ['n.db'], precise: true },
  {
    line: "sqlite3 n.db 'create table t(a)' && sqlite3 -readonly n.db 'select * from t'",
    changes: ['n.db'],
    precise: true,
  },
  { line: `sqlite3 n.db "select writefile('w.txt', 'x')"`, changes: ['n.db', 'w.txt'], precise: false },
  {
    line: `sqlite3 n.db "attach 'o.db' as o; create table o.t(a)"`,
    changes: ['n.db', 'o.db'],
    precise: false,
  },
  // binutils and the compiler: -o, or names of their own in the working directory
  { line: 'as /dev/null -o a.o', changes: ['a.o'], precise: true },
  { line: 'as /dev/null', changes: ['a.out'], precise: true },
  { line: 'as /dev/null -o a.o && strip -o s.o a.o', changes: ['a.o', 's.o'], precise: true },
  { line: 'as /dev/null -o a.o && strip a.o', changes: ['a.o'], precise: true },
  { line: 'as /dev/null -o a.o && objcopy -O binary a.o b.bin', changes: ['a.o', 'b.bin'], precise: true },
  {
    line: "printf 'int main(void){return 0;}' > m.c && gcc m.c",
    changes: ['m.c', 'a.out'],
    precise: true,
    needs: ['gcc'],
  },
  { line: "printf 'int x;' > m.c && gcc -c m.c", changes: ['m.c', 'm.o'], precise: true, needs: ['gcc'] },
  {
    line: "printf 'int x;' > m.c && gcc -c m.c -o d/m.o",
    changes: ['m.c', 'd/m.o'],
    precise: true,
    needs: ['gcc'],
  },
  {
    line: "printf 'int x;' > m.c && gcc -MMD -c m.c -o d/m.o",
    changes: ['m.c', 'd/m.o', 'd/m.d'],
    precise: true,
    needs: ['gcc'],
  },
  // file systems and swap areas: the image written (mke2fs makes a missing image itself)
  { line: 'mkfs.ext4 -q nimg 2M', changes: ['nimg'], precise: true },
  { line: 'mkfs -t ext4 -q nimg 2M', changes: ['nimg'], precise: true },
  { line: 'mke2fs -q -t ext4 nimg 2M', changes: ['nimg'], precise: true },
  {
    line: 'truncate -s 2M img && mkswap -q img && wipefs -q -a img',
    changes: ['img'],
    precise: true,
    needs: ['mkswap', 'wipefs'],
  },
  // dpkg-deb: the archive it builds, the directory it extracts into
  {
    line: "mkdir -p pk/DEBIAN && printf 'Package: p\\nVersion: 1\\nArchitecture: all\\nMaintainer: m\\nDescription: d\\n' > pk/DEBIAN/control && dpkg-deb --root-owner-group -b pk >/dev/null && dpkg-deb -x pk.deb out",
    changes: ['pk/**', 'pk.deb', 'out/**'],
    precise: true,
    needs: ['dpkg-deb'],
  },
  // patch: may be refused
  { line: 'patch -s -p0 -i fix.diff', changes: ['f.txt'], precise: false },
  { line: 'patch -s -p0 < fix.diff', changes: ['f.txt'], precise: false },
  // writers the classifier already knew (regressions)
  { line: 'cp f.txt n.txt', changes: ['n.txt'], precise: true },
  // a backup beside the file replaced
  { line: 'cp -b f.txt g.txt', changes: ['g.txt', 'g.txt~'], precise: true },
  { line: 'cp --backup=numbered f.txt g.txt', changes: ['g.txt', 'g.txt.~1~'], precise: true },
  { line: 'mv -b f.txt g.txt', changes: ['f.txt', 'g.txt', 'g.txt~'], precise: true },
  { line: 'ln -sb f.txt g.txt', changes: ['g.txt', 'g.txt~'], precise: true },
  { line: 'install -b -m 644 f.txt g.txt', changes: ['g.txt', 'g.txt~'], precise: true },
  { line: 'install -D -m 644 f.txt n/m/o.txt', changes: ['n', 'n/m', 'n/m/o.txt'], precise: true },
  { line: 'mkdir e/x && rmdir -p e/x', changes: ['e'], precise: true },
  { line: 'rsync -b --backup-dir=bk f.txt g.txt', changes: ['g.txt', 'bk', 'bk/g.txt'], precise: true },
  {
    line: `curl -s --create-dirs -o n/m/o.txt file://${ABS}/f.txt`,
    changes: ['n', 'n/m', 'n/m/o.txt'],
    precise: true,
  },
  { line: 'mv f.txt n.txt', changes: ['f.txt', 'n.txt'], precise: true },
  { line: 'gzip f.txt', changes: ['f.txt', 'f.txt.gz'], precise: true },
  // compressors: the name each writes, worked out as it does
  { line: 'gzip -k f.txt', changes: ['f.txt.gz'], precise: true },
  { line: 'gzip -S .z1 f.txt', changes: ['f.txt', 'f.txt.z1'], precise: true },
  { line: 'gzip -c f.txt > a.tgz && gunzip a.tgz', changes: ['a.tar'], precise: true },
  { line: 'gzip -c f.txt > A.GZ && gunzip A.GZ', changes: ['A'], precise: true },
  // -N takes the name from inside the file (here f.txt, written into e/)
  {
    line: 'cd e && gzip -c ../f.txt > q.gz && gunzip -N q.gz',
    changes: ['e/f.txt'],
    precise: true,
    needs: ['gzip'],
  },
  { line: 'bzip2 -k f.txt', changes: ['f.txt.bz2'], precise: true },
  { line: 'bzip2 -c f.txt > a.tbz && bunzip2 a.tbz', changes: ['a.tar'], precise: true },
  { line: 'bzip2 -c f.txt > a.raw && bzip2 -d a.raw', changes: ['a.raw.out'], precise: true },
  { line: 'xz -k f.txt', changes: ['f.txt.xz'], precise: true },
  { line: 'xz -k -F lzma f.txt', changes: ['f.txt.lzma'], precise: true },
  { line: 'xz -c f.txt > a.txz && unxz a.txz', changes: ['a.tar'], precise: true },
  { line: 'zstd -q f.txt', changes: ['f.txt.zst'], precise: true },
  { line: 'zstd -q --rm f.txt -o z.zst', changes: ['f.txt', 'z.zst'], precise: true },
  { line: 'zstd -qc f.txt > a.tzst && zstd -qd a.tzst', changes: ['a.tzst', 'a.tar'], precise: true },
  { line: 'zstd -q --output-dir-flat d f.txt', changes: ['d/f.txt.zst'], precise: true },
  // (lz4 with one input and no output name writes stdout when that is not a terminal)
  { line: 'lz4 -q -m f.txt', changes: ['f.txt.lz4'], precise: true },
  { line: 'lz4 -q f.txt out.lz4', changes: ['out.lz4'], precise: true },
  { line: 'lz4 -qc f.txt > a.lz4 && lz4 -q -m -d a.lz4', changes: ['a.lz4', 'a'], precise: true },
  { line: 'lz4 -qc f.txt > a.lz4 && lz4 -qd a.lz4 b', changes: ['a.lz4', 'b'], precise: true },
  { line: 'sort -o s.txt f.txt', changes: ['s.txt'], precise: true },
  { line: 'uniq f.txt u.txt', changes: ['u.txt'], precise: true },
  { line: 'tee t.txt < f.txt', changes: ['t.txt'], precise: true },
  { line: 'dd if=f.txt of=o.txt status=none', changes: ['o.txt'], precise: true },
  { line: 'sed -i s/a/b/ f.txt', changes: ['f.txt'], precise: true },
  { line: 'sed -i.bak s/a/b/ f.txt', changes: ['f.txt', 'f.txt.bak'], precise: true },
  { line: "sed -i'e/*.orig' s/a/b/ f.txt", changes: ['f.txt', 'e/f.txt.orig'], precise: true },
  { line: 'truncate -s 0 f.txt', changes: ['f.txt'], precise: true },
  // programs that run another program from their arguments
  { line: 'prlimit --nofile=100 victim a', victim: [['a']], precise: true },
  { line: 'prlimit victim a', victim: [['a']], precise: true },
  { line: 'setarch linux64 victim a', victim: [['a']], precise: true },
  { line: 'setarch linux64 -R victim a', victim: [['a']], precise: true },
  { line: 'linux64 victim a', victim: [['a']], precise: true },
  { line: 'choom -n 10 -- victim a', victim: [['a']], precise: true },
  { line: "capsh -- -c 'victim a'", victim: [['a']], precise: true },
  { line: "script -q -c 'victim a' log.txt", victim: [['a']], changes: ['log.txt'], precise: true },
  {
    line: 'dbus-run-session -- victim a',
    victim: [['a']],
    precise: true,
    needs: ['dbus-run-session', 'dbus-daemon'],
  },
  // flock creates its lock file.
  { line: 'flock lk victim a', changes: ['lk'], victim: [['a']], precise: true },
  { line: 'timeout 5 victim a', victim: [['a']], precise: true },
  { line: 'nice -n 1 victim a', victim: [['a']], precise: true },
  { line: 'setsid -w victim a', victim: [['a']], precise: true },
  { line: 'stdbuf -o0 victim a', victim: [['a']], precise: true },
  { line: 'taskset -c 0 victim a', victim: [['a']], precise: true },
  { line: 'ionice -c 3 victim a', victim: [['a']], precise: true },
  // stdout is not a terminal here, so nohup writes no nohup.out.
  { line: 'nohup victim a', victim: [['a']], precise: true },
  { line: 'env X=1 victim a', victim: [['a']], precise: true },
  // GNU xargs runs the command once even with no input.
  { line: 'xargs victim a < /dev/null', victim: [['a']], precise: true },
  { line: 'find f.txt -exec victim {} \\;', victim: [['f.txt']], precise: true },
  // man-db runs no pager when stdout is not a terminal (it is not one here): a control.
  { line: "man -P 'victim a' ls", precise: false },
  // The server runs the command in a pane and exits with it; the socket file stays.
  { line: "tmux -S ./s new-session -d 'victim a'", changes: ['s'], victim: [['a']], precise: false },
  // the working directory changes: a relative path lands in the new one
  { line: 'cd d && touch n.txt', changes: ['d/n.txt'], precise: true, needs: ['touch'] },
  { line: 'cd d; rm -f h.txt', changes: ['d/h.txt'], precise: true, needs: ['rm'] },
  { line: 'pushd d >/dev/null && touch n.txt', changes: ['d/n.txt'], precise: true, needs: ['touch'] },
  { line: '(cd d && tar -xf ../arch.tar)', changes: ['d/x1.txt'], precise: true, needs: ['tar'] },
  { line: 'cd d && cd ../e && echo x > n.txt', changes: ['e/n.txt'], precise: true, needs: [] },
  { line: `cd ${ABS}/d && touch n.txt`, changes: ['d/n.txt'], precise: true, needs: ['touch'] },
  { line: 'env -C d touch n.txt', changes: ['d/n.txt'], precise: true, needs: ['env', 'touch'] },
  // a link is a second name for its target: writing through it writes the target
  { line: 'ln -s ../f.txt d/l && echo x >> d/l', changes: ['d/l', 'f.txt'], precise: true, needs: ['ln'] },
  { line: 'ln f.txt d/h2 && echo x >> d/h2', changes: ['d/h2', 'f.txt'], precise: true, needs: ['ln'] },
  {
    line: 'cd d && ln -s ../g.txt && echo x >> g.txt',
    changes: ['d/g.txt', 'g.txt'],
    precise: true,
    needs: ['ln'],
  },
  {
    line: `cp -s ${ABS}/f.txt d/s && echo x >> d/s`,
    changes: ['d/s', 'f.txt'],
    precise: true,
    needs: ['cp'],
  },
  { line: 'link f.txt d/h3 && echo x >> d/h3', changes: ['d/h3', 'f.txt'], precise: true, needs: ['link'] },
  { line: 'unix2dos -q f.txt', changes: ['f.txt'], precise: true, needs: ['unix2dos'] },
  { line: 'shuf -o e/s.txt f.txt', changes: ['e/s.txt'], precise: true },
  // no-op controls
  { line: 'ls -la', precise: true },
  { line: 'cat f.txt', precise: true },
  { line: 'grep a f.txt', precise: true },
  { line: 'wc -l f.txt', precise: true },
];

/** The Debian package of every program a line needs. */
const PACKAGES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      'cat',
      'chmod',
      'cp',
      'dd',
      'env',
      'ln',
      'ls',
      'mkdir',
      'mkfifo',
      'mknod',
      'mktemp',
      'mv',
      'nice',
      'nohup',
      'rm',
      'rmdir',
      'sort',
      'shuf',
      'split',
      'csplit',
      'stdbuf',
      'tee',
      'timeout',
      'touch',
      'truncate',
      'uniq',
      'unlink',
      'link',
      'wc',
    ].map((p) => [p, 'coreutils']),
  ),
  ...Object.fromEntries(
    ['prlimit', 'flock', 'setsid', 'taskset', 'ionice', 'setarch', 'linux64', 'choom'].map((p) => [
      p,
      'util-linux',
    ]),
  ),
  ...Object.fromEntries(['find', 'xargs'].map((p) => [p, 'findutils'])),
  ...Object.fromEntries(['ssh-keygen', 'scp'].map((p) => [p, 'openssh-client'])),
  ...Object.fromEntries(['dbus-run-session', 'dbus-daemon'].map((p) => [p, 'dbus-daemon'])),
  ...Object.fromEntries(['ar', 'as', 'strip', 'objcopy'].map((p) => [p, 'binutils'])),
  gcc: 'gcc',
  'dpkg-deb': 'dpkg',
  capsh: 'libcap2-bin',
  script: 'bsdutils',
  ...Object.fromEntries(['mkswap', 'wipefs', 'mkfs'].map((p) => [p, 'util-linux'])),
  ...Object.fromEntries(['mkfs.ext4', 'mke2fs'].map((p) => [p, 'e2fsprogs'])),
  man: 'man-db',
  ...Object.fromEntries(
    [
      'tar',
      'gzip',
      'unzip',
      'zip',
      'xxd',
      'openssl',
      'git',
      'rsync',
      'curl',
      'patch',
      'sed',
      'grep',
      'tmux',
    ].map((p) => [p, p]),
  ),
  ...Object.fromEntries(['dos2unix', 'unix2dos'].map((p) => [p, 'dos2unix'])),
  ...Object.fromEntries(['bzip2', 'bunzip2'].map((p) => [p, 'bzip2'])),
  ...Object.fromEntries(['xz', 'unxz'].map((p) => [p, 'xz-utils'])),
  sqlite3: 'sqlite3',
  zstd: 'zstd',
  lz4: 'lz4',
};

/** Why a case cannot run here (a program it needs is not installed), or `undefined`. */
function missing(c: Case): string | undefined {
  const needs = c.needs ?? [c.line.split(' ')[0] ?? ''];
  const absent = needs.filter((p) => findProgram(p) === undefined);
  if (absent.length === 0) return undefined;
  return absent
    .map((p) => `${p} is not installed (Debian package ${PACKAGES[p] ?? '(not in PACKAGES)'})`)
    .join('; ');
}

/** A changed path matches a pattern of Case.changes. */
function matches(pattern: string, path: string): boolean {
  if (pattern.endsWith('/**')) {
    const dir = pattern.slice(0, -3);
    return path === dir || path.startsWith(`${dir}/`);
  }
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${re}$`).test(path);
}

/** A write's resource as a path relative to the working directory (`.` for it; `../…` outside). */
function relativeToCwd(resource: string): string {
  return posix.relative(SANDBOX_CWD, posix.resolve(SANDBOX_CWD, resource)) || '.';
}

/**
 * Whether a write of `w` (relative, normalised; `tree` when the resource ended with `/`, a write
 * of everything under it) covers the changed path `p`: the same path or, for a tree, anything
 * under it. Nothing else: a rule meets only the paths the classifier names.
 */
function covers(w: string, tree: boolean, p: string): boolean {
  if (w === p) return true;
  return tree && (w === '.' || p.startsWith(`${w}/`));
}

/** Printable, for failure messages: program output may be binary (`tar -cf -`). */
function printable(text: string): string {
  return text.replace(/[^\t\n\x20-\x7e]/g, '?').slice(-600);
}

/** What went wrong between the real run and the table. */
function realProblems(c: Case, run: ProgramRun): string[] {
  const problems: string[] = [];
  if (run.status !== 0) problems.push(`exited with status ${String(run.status)}`);
  const changed = run.changes.map((ch) => ch.path);
  const patterns = c.changes ?? [];
  for (const p of patterns) {
    if (!changed.some((path) => matches(p, path))) problems.push(`did not change ${p}`);
  }
  for (const ch of run.changes) {
    if (!patterns.some((p) => matches(p, ch.path))) problems.push(`unexpectedly ${ch.kind} ${ch.path}`);
  }
  const want = (c.victim ?? []).map((argv) => argv.join('\t'));
  const got = run.victims.map((argv) => argv.join('\t'));
  if (want.join('\n') !== got.join('\n')) {
    problems.push(`ran victim ${JSON.stringify(run.victims)}, expected ${JSON.stringify(c.victim ?? [])}`);
  }
  return problems;
}

/** What the classifier missed or got wrong for a line that really ran as the table says. */
function classifierProblems(c: Case, run: ProgramRun, actions: readonly Action[]): string[] {
  if (actions.some((a) => a.operation === 'unknown')) {
    return c.precise ? ['unknown, but the line is marked precise'] : [];
  }
  const problems: string[] = [];
  const writes = actions
    .filter((a) => a.operation === 'write')
    .map((a) => ({ path: relativeToCwd(a.resource ?? ''), tree: (a.resource ?? '').endsWith('/') }));
  for (const ch of run.changes) {
    if (!writes.some((w) => covers(w.path, w.tree, ch.path)))
      problems.push(`${ch.kind} ${ch.path}, no write covers it`);
  }
  const execs = actions.filter((a) => a.operation === 'exec').map((a) => a.resource ?? '');
  for (const argv of run.victims) {
    const words = ['victim', ...argv];
    if (!execs.some((e) => execCovers(e.split(' '), words)))
      problems.push(`ran ${words.join(' ')}, not reported`);
  }
  return problems;
}

/**
 * Whether a reported exec (its resource split into words) stands for the words a program really
 * ran: the same words, where `{}` (arguments xargs or find supply at run time) stands for any
 * run of words, none included.
 */
function execCovers(reported: readonly string[], ran: readonly string[]): boolean {
  if (reported.length === 0) return ran.length === 0;
  const [head, ...rest] = reported;
  if (head === '{}') return ran.some((_, i) => execCovers(rest, ran.slice(i))) || execCovers(rest, []);
  return ran[0] === head && execCovers(rest, ran.slice(1));
}

function details(run: ProgramRun | undefined, actions?: readonly Action[]): string {
  if (run === undefined) return '';
  return [
    `line: ${run.line}`,
    ...(actions === undefined ? [] : [`actions: ${JSON.stringify(actions)}`]),
    `status: ${String(run.status)}`,
    `changes: ${run.changes.map((ch) => `${ch.kind} ${ch.path}`).join(', ') || '(none)'}`,
    `victim runs: ${JSON.stringify(run.victims)}`,
    `output: ${printable(run.output)}`,
  ].join('\n');
}

describe.skipIf(unavailable !== undefined)(
  `program oracle: what real programs do${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    const runs = new Map<string, ProgramRun>();
    const absent = new Map(CASES.map((c) => [c.line, missing(c)]));

    beforeAll(async () => {
      await loadShellClassifier();
      const lines = CASES.filter((c) => absent.get(c.line) === undefined).map((c) => c.line);
      for (const run of runPrograms(lines)) runs.set(run.line, run);
    }, 120_000);

    it('has one entry per line', () => {
      expect(new Set(CASES.map((c) => c.line)).size).toBe(CASES.length);
    });

    describe('each line really does what the table says', () => {
      it.each(CASES)('$line', (c) => {
        expect(absent.get(c.line), 'a program the line needs').toBeUndefined();
        const run = runs.get(c.line)!;
        expect(realProblems(c, run), details(run)).toEqual([]);
      });
    });

    describe('the classifier reports what it did', () => {
      it.each(CASES)('$line', (c) => {
        expect(absent.get(c.line), 'a program the line needs').toBeUndefined();
        const run = runs.get(c.line)!;
        const actions = classifyShellCommand(c.line);
        expect(classifierProblems(c, run, actions), details(run, actions)).toEqual([]);
      });
    });
  },
);

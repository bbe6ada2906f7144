import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { UsageError } from './usage-error.js';

const SKIP = new Set(['node_modules', '.git', 'dist']);

/**
 * Expands file arguments: a plain path is kept as is (and must exist); a glob (`*`, `?`, `[`,
 * `{`) is matched below its static prefix, skipping `node_modules`, `.git` and `dist`. Results
 * are absolute, de-duplicated and sorted per argument.
 *
 * @throws UsageError when a plain path does not exist or a glob matches nothing.
 */
export async function expandGlobs(args: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const matches = picomatch.scan(arg).isGlob ? await matchGlob(arg, cwd) : [await existing(arg, cwd)];
    if (matches.length === 0) throw new UsageError(`no file matches ${arg}`);
    for (const file of matches) {
      if (seen.has(file)) continue;
      seen.add(file);
      out.push(file);
    }
  }
  return out;
}

async function existing(arg: string, cwd: string): Promise<string> {
  const file = path.resolve(cwd, arg);
  try {
    if ((await stat(file)).isFile()) return file;
  } catch {
    // reported below
  }
  throw new UsageError(`no such file: ${arg}`);
}

async function matchGlob(pattern: string, cwd: string): Promise<string[]> {
  const absolute = path.resolve(cwd, pattern).split(path.sep).join('/');
  const { base, glob } = picomatch.scan(absolute);
  const isMatch = picomatch(glob, { dot: false });
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name)) await walk(full);
      } else if (entry.isFile() && isMatch(path.relative(base, full).split(path.sep).join('/'))) {
        found.push(full);
      }
    }
  };
  await walk(base);
  return found.sort();
}

// What `portcullis` loads to start: help and --version load no command module and not the engine
// (which is what made them slow), only the usage text asked for. Counted by a module-loader hook
// in a child process, not timed (the time is bench/cli-startup.ts's job).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../src/commands/index.js';
import { run } from './run-cli.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
let hook: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-startup-'));
  // The hooks run on their own thread: they post each loaded URL back to the main thread, which
  // prints the list on stderr at exit.
  await writeFile(
    path.join(dir, 'hooks.mjs'),
    `let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
`,
  );
  hook = path.join(dir, 'register.mjs');
  await writeFile(
    hook,
    `import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on('message', (url) => loaded.push(url));
port1.unref();
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)}, { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(loaded) + '\\n'));
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The URLs of the workspace's own modules one CLI run loaded (and its stdout). */
async function loadedBy(args: readonly string[]): Promise<{ stdout: string; modules: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=portcullis-source',
      '--import',
      'tsx',
      '--import',
      hook,
      'packages/cli/src/bin.ts',
      ...args,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  await new Promise((resolve) => child.once('close', resolve));
  const line = /\nLOADED (.*)\n/.exec(stderr)?.[1];
  if (line === undefined) throw new Error(`no module list from ${args.join(' ')}: ${stderr}`);
  const root = pathToFileURL(path.join(repoRoot, 'packages')).href;
  const modules = (JSON.parse(line) as string[])
    .filter((url) => url.startsWith(root) && !url.includes('/node_modules/'))
    .map((url) => url.slice(root.length + 1));
  return { stdout, modules };
}

const heavy = (modules: readonly string[]): string[] =>
  modules.filter(
    (m) => m.startsWith('core/') || /^cli\/src\/commands\/(?!index\.ts|[a-z]+\.usage\.ts)/.test(m),
  );

describe('CLI startup', () => {
  it('--help, --version, help CMD and CMD --help load no command module and not the engine', async () => {
    for (const args of [['--help'], ['--version'], ['help', 'verify'], ['replay', '--help']]) {
      const { stdout, modules } = await loadedBy(args);
      expect(stdout.length).toBeGreaterThan(0);
      expect(modules).toContain('cli/src/main.ts');
      expect({ args, loaded: heavy(modules) }).toEqual({ args, loaded: [] });
    }
    const help = await loadedBy(['help', 'verify']);
    expect(help.modules.filter((m) => m.includes('.usage.'))).toEqual(['cli/src/commands/verify.usage.ts']);
    // A command that runs loads its module and the engine (so the hook does see them).
    const running = await loadedBy(['verify']);
    expect(heavy(running.modules)).toEqual(
      expect.arrayContaining(['cli/src/commands/verify.ts', 'core/src/index.ts']),
    );
  }, 60_000);

  it("each command's help text is the usage of the command it runs", async () => {
    for (const entry of commands) {
      const command = await entry.load();
      expect(await entry.usage()).toBe(command.usage);
      expect(command.name).toBe(entry.name);
      const shown = await run([entry.name, '--help']);
      expect(shown).toEqual({ code: 0, stdout: `${command.usage}\n`, stderr: '' });
    }
  });
});

// A PostgreSQL cluster of its own for tests that change cluster-wide state (roles, tablespaces,
// databases) or must not disturb a shared server: initdb into a temporary folder, a postgres on a
// free loopback port, everything removed on stop. initdb refuses to run as root, so as root the
// cluster runs as an unprivileged user (postgres, else nobody).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import pg from 'pg';

/** Where Debian and the PGDG packages put the PostgreSQL 15 server binaries. */
export const PG15_BIN = process.env['PORTCULLIS_PG15_BIN'] ?? '/usr/lib/postgresql/15/bin';

/** Why a scratch cluster cannot start here, or `undefined` when it can. */
export function scratchClusterUnavailable(): string | undefined {
  for (const binary of ['initdb', 'postgres']) {
    if (!existsSync(path.join(PG15_BIN, binary)))
      return `no ${binary} in ${PG15_BIN} (apt-get install -y postgresql-15)`;
  }
  if (process.getuid?.() === 0 && runAs() === undefined)
    return 'running as root with no unprivileged user to run postgres';
  return undefined;
}

/** A running scratch cluster. */
export interface ScratchCluster {
  /** A URL for database `name` (default `postgres`) as the bootstrap superuser `postgres`. */
  url(database?: string): string;
  /** A folder the server can read (for data files tests load with server-side COPY). */
  readonly shared: string;
  /** Chowns a file or folder written by the test so the server can read and write it. */
  handOver(file: string): void;
  stop(): Promise<void>;
}

interface User {
  readonly uid: number;
  readonly gid: number;
}

function runAs(): User | undefined {
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0)
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return undefined;
}

/**
 * Starts a scratch cluster (fsync off, UTF8, C.UTF-8 collation, trust authentication on loopback
 * only). Settings are passed as `-c name=value` pairs.
 *
 * @throws Error when initdb or the server fails (with their output).
 */
export async function startScratchCluster(
  settings: Readonly<Record<string, string>> = {},
): Promise<ScratchCluster> {
  const user = process.getuid?.() === 0 ? runAs() : undefined;
  const root = mkdtempSync(path.join(tmpdir(), 'portcullis-pg-'));
  const data = path.join(root, 'data');
  const shared = path.join(root, 'shared');
  const ids = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  const handOver = (file: string): void => {
    if (user !== undefined) chownSync(file, user.uid, user.gid);
  };
  chmodSync(root, 0o755);
  handOver(root);
  const env = { ...process.env, LC_ALL: 'C.UTF-8', HOME: root };
  const init = spawnSync(
    path.join(PG15_BIN, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ],
    { ...ids, env, encoding: 'utf8', cwd: root },
  );
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  spawnSync('mkdir', ['-p', shared]);
  handOver(shared);
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1'];
    for (const [name, value] of Object.entries({
      fsync: 'off',
      full_page_writes: 'off',
      synchronous_commit: 'off',
      ...settings,
    })) {
      args.push('-c', `${name}=${value}`);
    }
    const server: ChildProcess = spawn(path.join(PG15_BIN, 'postgres'), args, {
      ...ids,
      env,
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 64 * 1024) log += chunk.toString('utf8');
    });
    const exited = new Promise<void>((resolve) =>
      server.once('exit', () => {
        resolve();
      }),
    );
    const url = (database = 'postgres'): string =>
      `postgres://postgres@127.0.0.1:${String(port)}/${database}`;
    const ready = await waitReady(url(), exited);
    if (!ready) {
      lastError = log;
      server.kill('SIGKILL');
      await exited;
      continue;
    }
    return {
      url,
      shared,
      handOver,
      async stop() {
        // Fast shutdown: roll back open transactions, disconnect, stop.
        server.kill('SIGINT');
        const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        rmSync(root, { recursive: true, force: true });
      },
    };
  }
  rmSync(root, { recursive: true, force: true });
  throw new Error(`the scratch postgres did not start: ${lastError}`);
}

async function waitReady(url: string, exited: Promise<void>): Promise<boolean> {
  const state = { gone: false };
  void exited.then(() => {
    state.gone = true;
  });
  for (let i = 0; i < 150 && !state.gone; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}

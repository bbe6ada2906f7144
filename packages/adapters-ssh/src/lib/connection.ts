// The session's SSH connection: the only code that holds the ssh2 Client. Opened at the first
// request that needs the server, with the host key verified during key exchange (before any
// credential is offered). The Client's methods are taken once, when this module loads, and
// given to each client as its own, so patching ssh2's prototype later cannot observe it.
import { HostKeyError } from '@portcullis/core';
import ssh2 from 'ssh2';
import { asError } from './text.js';
import { exitOf } from './exit.js';
import { bare } from './options.js';
import type { Channel, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';

type Client = InstanceType<typeof ssh2.Client>;
type Callback<T> = (err: Error | undefined, value: T) => void;

const ClientClass = ssh2.Client;
const proto = ClientClass.prototype;

/**
 * Every method the Client has (its own class's and EventEmitter's), as they were when this
 * module loaded. Each client gets them as own properties, so ssh2's internal `this.x()` calls
 * do not go through a prototype that was patched later.
 */
const METHODS: ReadonlyMap<string | symbol, unknown> = (() => {
  const found = new Map<string | symbol, unknown>();
  for (
    let p: object | null = proto;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    for (const key of Reflect.ownKeys(p)) {
      if (key === 'constructor' || found.has(key)) continue;
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (d !== undefined && typeof d.value === 'function') found.set(key, d.value);
    }
  }
  return found;
})();

function newClient(): Client {
  const client = new ClientClass();
  for (const [key, value] of METHODS) {
    Object.defineProperty(client, key, { value, writable: false, enumerable: false, configurable: false });
  }
  return client;
}

/** What the executor may do on the connection: nothing else of the Client is reachable. */
export interface SshConnection {
  exec(command: string, env: Readonly<Record<string, string>> | undefined): Promise<ClientChannel>;
  shell(cols: number, rows: number, term: string): Promise<ClientChannel>;
  /** The session's one SFTP channel (opened once). */
  sftp(): Promise<SFTPWrapper>;
  /** The remote home directory (the SFTP server's REALPATH of `.`), asked once. */
  home(): Promise<string>;
  forwardOut(host: string, port: number): Promise<Channel>;
  /** Closes the connection (and every channel on it). */
  end(): void;
}

/**
 * A lazily opened connection with these ssh2 options (already checked and copied) and this
 * host key verifier.
 *
 * @example
 * ```ts
 * const conn = createConnection(config, hostKeyVerifier(pin), 'bastion');
 * const channel = await conn.exec('uptime', undefined);
 * ```
 */
export function createConnection(
  config: Readonly<ConnectConfig>,
  verify: (key: Buffer) => boolean,
  target: string,
): SshConnection {
  let ready: Promise<Client> | undefined;
  let sftp: Promise<SFTPWrapper> | undefined;
  let home: Promise<string> | undefined;
  let ended = false;
  let current: Client | undefined;

  const connect = (): Promise<Client> => {
    if (ended) return Promise.reject(new TypeError('this session has ended'));
    ready ??= new Promise<Client>((resolve, reject) => {
      const client = newClient();
      current = client;
      let refused = false;
      const onError = (err: Error): void => {
        ready = undefined;
        sftp = undefined;
        if (refused) {
          reject(
            new HostKeyError(
              `the SSH server of ${target} did not present the pinned host key; the connection was closed before authentication`,
            ),
          );
        } else {
          reject(connectionError(err, target));
        }
      };
      client.once('ready', () => {
        client.on('error', () => {
          // After ready, errors end the connection; requests on it fail on their own channels.
        });
        resolve(client);
      });
      client.once('error', onError);
      client.once('close', () => {
        // A later request reconnects.
        if (current === client) {
          ready = undefined;
          sftp = undefined;
        }
        onError(new Error('the connection closed'));
      });
      client.connect(
        bare({
          ...config,
          // Its lists are read by name too: only the ones the host gave.
          ...(config.algorithms === undefined ? {} : { algorithms: bare(config.algorithms) }),
          hostVerifier: (key: Buffer) => {
            const ok = verify(key);
            if (!ok) refused = true;
            return ok;
          },
        }),
      );
      // Small packets (the flow-window adjustments bulk output needs, keystrokes) go at once.
      // With Nagle's algorithm on, an adjustment could wait for the server's delayed ACK
      // while the server waited for the adjustment: output then stalled for tens of
      // milliseconds at a time, at a third of the speed or less.
      client.setNoDelay(true);
    });
    return ready;
  };

  const channel = <T>(open: (client: Client, cb: Callback<T>) => void): Promise<T> =>
    connect().then(
      (client) =>
        new Promise<T>((resolve, reject) => {
          try {
            open(client, (err, value) => {
              if (err instanceof Error) reject(err);
              else resolve(value);
            });
          } catch (err) {
            reject(asError(err));
          }
        }),
    );

  const openSftp = (): Promise<SFTPWrapper> => {
    sftp ??= channel<SFTPWrapper>((client, cb) => client.sftp(cb));
    sftp.catch(() => {
      sftp = undefined;
    });
    return sftp;
  };

  return Object.freeze({
    exec: (command: string, env: Readonly<Record<string, string>> | undefined) =>
      channel<ClientChannel>((client, cb) =>
        client.exec(command, env === undefined ? bare({}) : bare({ env: bare(env) }), (err, opened) => {
          if (!(err instanceof Error)) void exitOf(opened);
          cb(err, opened);
        }),
      ),
    shell: (cols: number, rows: number, term: string) =>
      channel<ClientChannel>((client, cb) =>
        client.shell(bare({ cols, rows, term }), bare({}), (err, opened) => {
          if (!(err instanceof Error)) void exitOf(opened);
          cb(err, opened);
        }),
      ),
    sftp: openSftp,
    home() {
      home ??= openSftp().then(
        (channel) =>
          new Promise<string>((resolve, reject) => {
            channel.realpath('.', (err, resolved) => {
              if (err instanceof Error) reject(err);
              else resolve(resolved);
            });
          }),
      );
      home.catch(() => {
        home = undefined;
      });
      return home;
    },
    forwardOut: (host: string, port: number) =>
      channel<Channel>((client, cb) => client.forwardOut('127.0.0.1', 0, host, port, cb)),
    end: () => {
      ended = true;
      if (current !== undefined) current.end();
      current = undefined;
    },
  });
}

/** A connection failure, saying only what a caller may know (no host, port or key). */
function connectionError(err: Error, target: string): Error {
  const level = (err as { level?: unknown }).level;
  const code = (err as { code?: unknown }).code;
  const why =
    level === 'client-authentication'
      ? 'the server refused the credentials'
      : typeof code === 'string'
        ? code
        : 'the connection failed';
  const error = new Error(`could not connect to the SSH server of ${target}: ${why}`);
  if (typeof code === 'string') Object.defineProperty(error, 'code', { value: code, enumerable: true });
  return error;
}

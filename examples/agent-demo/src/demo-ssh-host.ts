// The demo's SSH host: an embedded ssh2 server serving a small virtual machine — a handful of
// commands over an in-memory file tree. A stand-in for a real server so `pnpm demo` needs
// nothing installed; the SSH adapter's own tests run against a real OpenSSH sshd. It logs in one
// user by public key and runs what the gate forwards; it never decides anything itself.
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';

/** The running host. */
export interface DemoSshHost {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly username: string;
  /** The client's private key (OpenSSH format), for the gate's connect options. */
  readonly privateKey: string;
  /** The host's public key line: the gate's pin. */
  readonly hostKey: string;
  /** The files of the virtual machine (path → content). */
  readonly files: Map<string, string>;
  /** Every command line the host ran, in order. */
  readonly ran: string[];
  close(): Promise<void>;
}

const { Server, utils } = ssh2;

/** Starts the host on a free loopback port with fresh host and client keys. */
export async function startDemoSshHost(files: Readonly<Record<string, string>>): Promise<DemoSshHost> {
  const hostKeys = usableKeyPair();
  const clientKeys = usableKeyPair();
  const allowed = utils.parseKey(clientKeys.public);
  if (allowed instanceof Error) throw allowed;
  const username = 'ops';
  const tree = new Map(Object.entries(files));
  const ran: string[] = [];
  const services = new Map<string, number>([['app', Date.now()]]);

  const server = new Server({ hostKeys: [hostKeys.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== username) {
        ctx.reject(['publickey']);
        return;
      }
      const sameKey = ctx.key.algo === allowed.type && safeEqual(ctx.key.data, allowed.getPublicSSH());
      if (!sameKey) {
        ctx.reject(['publickey']);
        return;
      }
      // Without a signature the client only asks whether the key would do.
      if (ctx.signature === undefined || ctx.blob === undefined) {
        ctx.accept();
        return;
      }
      if (allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('env', (acceptEnv) => {
          acceptEnv();
        });
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          ran.push(info.command);
          const { out, err, code } = run(info.command, tree, services);
          if (out !== '') stream.write(out);
          if (err !== '') stream.stderr.write(err);
          stream.exit(code);
          stream.end();
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    username,
    privateKey: clientKeys.private,
    hostKey: hostKeys.public,
    files: tree,
    ran,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The virtual machine's commands: cat, ls, uptime, df -h, systemctl restart|status NAME. */
function run(
  line: string,
  files: Map<string, string>,
  services: Map<string, number>,
): { out: string; err: string; code: number } {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'cat': {
      const missing = args.filter((a) => !files.has(a));
      if (missing.length > 0)
        return { out: '', err: `cat: ${missing[0] ?? ''}: No such file or directory\n`, code: 1 };
      return { out: args.map((a) => files.get(a) ?? '').join(''), err: '', code: 0 };
    }
    case 'ls': {
      const dir = (args[0] ?? '/').replace(/\/?$/, '/');
      const names = [...files.keys()]
        .filter((f) => f.startsWith(dir))
        .map((f) => f.slice(dir.length).split('/')[0]);
      return { out: `${[...new Set(names)].sort().join('\n')}\n`, err: '', code: 0 };
    }
    case 'uptime':
      return {
        out: ' 09:41:07 up 12 days,  3:04,  1 user,  load average: 0.08, 0.05, 0.01\n',
        err: '',
        code: 0,
      };
    case 'df':
      return {
        out: 'Filesystem  Size  Used Avail Use% Mounted on\n/dev/vda1    40G   12G   26G  32% /\n',
        err: '',
        code: 0,
      };
    case 'systemctl': {
      const [verb, name = ''] = args;
      if (!services.has(name)) return { out: '', err: `Unit ${name}.service not found.\n`, code: 5 };
      if (verb === 'restart') {
        services.set(name, Date.now());
        return { out: '', err: '', code: 0 };
      }
      if (verb === 'status')
        return {
          out: `● ${name}.service - active (running) since ${new Date(services.get(name) ?? 0).toISOString()}\n`,
          err: '',
          code: 0,
        };
      return { out: '', err: `unknown verb ${verb ?? ''}\n`, code: 1 };
    }
    default:
      return { out: '', err: `${cmd ?? ''}: command not found\n`, code: 127 };
  }
}

/**
 * An Ed25519 key pair ssh2 can read back: now and then ssh2's generator writes a public key its
 * own parser calls malformed, so a pair is drawn again until both halves parse.
 */
function usableKeyPair(): { readonly private: string; readonly public: string } {
  for (let tries = 0; tries < 20; tries++) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error))
      return pair;
  }
  throw new Error('could not generate an Ed25519 key pair that ssh2 reads');
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

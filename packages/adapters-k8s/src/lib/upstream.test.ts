import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { plantOnPrototypes } from '@portcullis/conformance';
import { describe, expect, it } from 'vitest';
import { createUpstream } from './upstream.js';

// A token made at run time (nothing committed looks like a credential).
const token = randomBytes(24).toString('base64url');
const server = 'https://127.0.0.1:6443';

/** Plants `names` on Object.prototype while `run` runs (a prototype pollution in the host). */
async function planted<T>(names: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  for (const name of Object.keys(names)) expect(Object.prototype).not.toHaveProperty(name);
  const undo = plantOnPrototypes([Object.prototype], Object.keys(names), (name) => names[name as string]);
  try {
    return await run();
  } finally {
    undo();
  }
}

function flat(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** A KubeConfig whose current user authenticates through an auth provider. */
function withProvider(name: string, config: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server }],
    users: [{ name: 'u', authProvider: { name, config } }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('createUpstream', () => {
  it("applies the host's current user: its token, and nothing a name planted on Object.prototype adds", async () => {
    const upstream = createUpstream(flat());
    try {
      const target = await planted(
        {
          impersonateUser: 'system:admin',
          // client-node's lookup reads a wrapper key of each entry: a planted one would replace
          // the host's user with this one.
          user: { token: 'planted' },
          tlsServerName: 'elsewhere.example',
        },
        () => upstream.target(),
      );
      expect(target.headers).toEqual({ Authorization: `Bearer ${token}` });
      expect(target.tls).not.toHaveProperty('servername');
      expect(target.origin.href).toBe(`${server}/`);
    } finally {
      upstream.close();
    }
  });

  it('reads entries in the kubeconfig file layout too, and a change the host makes later', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      currentContext: 'x',
    });
    const upstream = createUpstream(kc);
    try {
      expect((await upstream.target()).headers).toEqual({ Authorization: `Bearer ${token}` });
      // A rotated token counts from the next request on.
      const rotated = randomBytes(24).toString('base64url');
      (kc.getUsers()[0] as unknown as { user: { token: string } }).user.token = rotated;
      expect((await upstream.target()).headers).toEqual({ Authorization: `Bearer ${rotated}` });
    } finally {
      upstream.close();
    }
  });

  it('keeps authenticators the host added', async () => {
    const kc = flat();
    kc.addAuthenticator({
      isAuthProvider: () => true,
      applyAuthentication: (_user, opts) => {
        const headers = (opts.headers ??= {}) as Record<string, string>;
        headers['X-Added'] = 'yes';
        return Promise.resolve();
      },
    });
    const upstream = createUpstream(kc);
    try {
      expect((await upstream.target()).headers).toEqual({
        'X-Added': 'yes',
        Authorization: `Bearer ${token}`,
      });
    } finally {
      upstream.close();
    }
  });

  // client-node's auth providers read their settings from `user.authProvider.config` by name
  // (`cmd-path`, `exec`, `tokenFile`, `idp-issuer-url`, …). A host config object made from a
  // literal has none of those it does not set, so a name planted on Object.prototype would be
  // read as the host's: a command run in the host process, a file sent as the credential.
  describe("reads no name of the host's auth provider settings from Object.prototype", () => {
    // An OIDC id token that is not expired (client-node reads its `exp`, checks no signature).
    const idToken = [
      Buffer.from('{"alg":"none"}').toString('base64url'),
      Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600, n: token })).toString(
        'base64url',
      ),
      'x',
    ].join('.');
    async function markerDir(): Promise<{ dir: string; marker: string; script: string }> {
      const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-k8s-provider-'));
      const marker = path.join(dir, 'ran');
      return { dir, marker, script: `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')` };
    }

    it('runs no planted command of a gcp provider (cmd-path)', async () => {
      const { dir, script } = await markerDir();
      // (the provider runs `"cmd-path" cmd-args` in a shell: the script goes in a file)
      const scriptFile = path.join(dir, 'plant.cjs');
      await writeFile(scriptFile, script);
      const upstream = createUpstream(withProvider('gcp', {}));
      try {
        const outcome = await planted({ 'cmd-path': process.execPath, 'cmd-args': scriptFile }, () =>
          upstream.target(),
        ).catch((e: unknown) => e);
        expect(outcome).toBeInstanceOf(Error);
        expect(await readdir(dir)).toEqual(['plant.cjs']);
      } finally {
        upstream.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('runs no planted exec plugin of any provider (exec)', async () => {
      const { dir, script } = await markerDir();
      const upstream = createUpstream(withProvider('oidc', { 'id-token': idToken }));
      try {
        const target = await planted(
          {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: process.execPath,
              args: ['-e', script],
            },
          },
          () => upstream.target(),
        ).catch((e: unknown) => e);
        // (a plugin writes its marker before it answers; give a spawned one time to have run)
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await readdir(dir)).toEqual([]);
        expect(target).toMatchObject({ headers: { Authorization: `Bearer ${idToken}` } });
      } finally {
        upstream.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('sends no planted token file (tokenFile)', async () => {
      const { dir } = await markerDir();
      const secretFile = path.join(dir, 'other-secret');
      const other = randomBytes(24).toString('base64url');
      await writeFile(secretFile, other);
      const upstream = createUpstream(withProvider('oidc', { 'id-token': idToken }));
      try {
        const target = await planted({ tokenFile: secretFile }, () => upstream.target());
        expect(JSON.stringify(target.headers)).not.toContain(other);
        expect(target.headers).toEqual({ Authorization: `Bearer ${idToken}` });
      } finally {
        upstream.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  // A provider keeps what it refreshes in its settings: given back to the host's, so the next
  // request uses it instead of refreshing again.
  it("gives the host's auth provider settings what the provider refreshed", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-k8s-provider-'));
    const fresh = randomBytes(24).toString('base64url');
    const runs = path.join(dir, 'runs');
    const scriptFile = path.join(dir, 'token.cjs');
    await writeFile(
      scriptFile,
      `require('node:fs').appendFileSync(${JSON.stringify(runs)}, 'x');` +
        `process.stdout.write(JSON.stringify({ token: ${JSON.stringify(fresh)}, expiry: '2999-01-01T00:00:00Z' }))`,
    );
    const config: Record<string, unknown> = {
      'cmd-path': process.execPath,
      'cmd-args': scriptFile,
      'token-key': '{.token}',
      'expiry-key': '{.expiry}',
    };
    const upstream = createUpstream(withProvider('gcp', config));
    try {
      expect((await upstream.target()).headers).toEqual({ Authorization: `Bearer ${fresh}` });
      expect((await upstream.target()).headers).toEqual({ Authorization: `Bearer ${fresh}` });
      expect(await readFile(runs, 'utf8')).toBe('x');
      expect(String(config['access-token'])).toBe(fresh);
    } finally {
      upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a KubeConfig without a current cluster', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: 'none' });
    expect(() => createUpstream(kc)).toThrow(/no current cluster/);
  });
});

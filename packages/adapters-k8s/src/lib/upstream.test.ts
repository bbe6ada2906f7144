import { randomBytes } from 'node:crypto';
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

  it('refuses a KubeConfig without a current cluster', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: 'none' });
    expect(() => createUpstream(kc)).toThrow(/no current cluster/);
  });
});

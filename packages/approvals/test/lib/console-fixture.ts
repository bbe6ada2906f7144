// Everything a console test needs: a local issuer with bob (manager), alice (analyst), alice's
// agent and a manager who only works through an agent; a policy whose warehouse writes need a
// manager; an engine on an in-memory store; the console served on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMemoryApprovalStore,
  createPortcullis,
  parsePolicy,
  ReviewRequiredError,
  type ApprovalStore,
  type Portcullis,
  type Principal,
} from '@portcullis/core';
import { createApprovalConsole, type ApprovalConsole } from '../../src/index.js';
import { startOidcIssuer, type OidcIssuer } from './oidc-issuer.js';

export interface ConsoleFixture {
  readonly issuer: OidcIssuer;
  readonly store: ApprovalStore;
  readonly portcullis: Portcullis;
  readonly console: ApprovalConsole;
  /** The console's public URL (ends with `/approvals/`). */
  readonly url: string;
  /** alice's agent asks for `sql` on the warehouse; resolves the pending approval's id. */
  pendingFromAgent(sql: string): Promise<string>;
  principal(subject: string, actor?: string): Promise<Principal>;
  close(): Promise<void>;
}

export const USERS = {
  alice: { groups: ['analysts'] },
  bob: { groups: ['managers'] },
  carol: { groups: ['managers'] },
  mallory: { groups: ['managers'], actor: 'helper-bot' },
} as const;

export function policyText(issuer: OidcIssuer): string {
  return JSON.stringify({
    version: 1,
    identity: { issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: issuer.jwks.keys } },
    targets: { warehouse: { protocol: 'postgres' } },
    rules: [
      { id: 'read', effect: 'allow', when: { targets: ['warehouse'], operations: ['select'] } },
      {
        id: 'writes-need-a-manager',
        effect: 'review',
        when: { targets: ['warehouse'], operations: ['insert', 'update', 'delete'] },
        review: { approvers: { groups: ['managers'] }, minApprovals: 1, ttl: '30m' },
        reason: 'Writes to the warehouse need a manager',
      },
    ],
  });
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  const issuer = await startOidcIssuer({ users: USERS });
  const store = createMemoryApprovalStore();
  const portcullis = await createPortcullis({
    policy: parsePolicy(policyText(issuer), { format: 'json' }),
    approvals: store,
  });
  // The console needs its public URL before the server has a port: a lazy handler.
  let handler: ApprovalConsole['node'] = (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => {
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/approvals/`;
  const approvalConsole = createApprovalConsole({
    portcullis,
    store,
    oidc: { clientId: issuer.clientId },
    publicUrl: url,
  });
  handler = approvalConsole.node;

  const principal = async (subject: string, actor?: string): Promise<Principal> =>
    portcullis.resolvePrincipal(await issuer.accessToken(subject, actor === undefined ? {} : { actor }));

  return {
    issuer,
    store,
    portcullis,
    console: approvalConsole,
    url,
    principal,
    async pendingFromAgent(sql) {
      const agent = await principal('alice', 'copilot');
      try {
        await portcullis.authorize({ principal: agent, target: 'warehouse', request: { type: 'sql', sql } });
      } catch (err) {
        if (err instanceof ReviewRequiredError) return err.approvalId;
        throw err;
      }
      throw new Error('expected the request to need review');
    },
    async close() {
      approvalConsole.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await issuer.close();
    },
  };
}

/** A cookie jar over fetch that follows redirects itself, like a browser without JavaScript. */
export class TestBrowser {
  readonly #cookies = new Map<string, Map<string, string>>(); // origin → name → value
  /** Every Set-Cookie header seen, as received. */
  readonly setCookies: string[] = [];

  async request(url: string, init: RequestInit = {}, follow = true): Promise<Response> {
    let target = new URL(url);
    let options: RequestInit = init;
    for (let hops = 0; hops < 10; hops++) {
      const headers = new Headers(options.headers);
      const jar = this.#cookies.get(target.origin);
      if (jar !== undefined && jar.size > 0)
        headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(target, { ...options, headers, redirect: 'manual' });
      for (const c of res.headers.getSetCookie()) {
        this.setCookies.push(c);
        const [pair] = c.split(';');
        const eq = (pair ?? '').indexOf('=');
        const name = (pair ?? '').slice(0, eq);
        const value = (pair ?? '').slice(eq + 1);
        const cookies = this.#cookies.get(target.origin) ?? new Map<string, string>();
        if (/max-age=0/i.test(c)) cookies.delete(name);
        else cookies.set(name, value);
        this.#cookies.set(target.origin, cookies);
      }
      const location = res.headers.get('location');
      if (!follow || location === null || res.status < 300 || res.status >= 400) return res;
      target = new URL(location, target);
      options = {};
    }
    throw new Error('too many redirects');
  }

  /** Signs in through the issuer's page as `user`; resolves the console's answer to the callback. */
  async signIn(consoleUrl: string, user: string): Promise<Response> {
    const login = await this.request(`${consoleUrl}login`, {}, false);
    const authorize = new URL(login.headers.get('location') ?? '');
    authorize.pathname = '/authorize/grant';
    authorize.searchParams.set('user', user);
    return this.request(authorize.href);
  }

  /** The page's CSRF token. */
  static csrfOf(html: string): string {
    const m = /name="csrf" value="([^"]+)"/.exec(html);
    if (m?.[1] === undefined) throw new Error('no CSRF token on the page');
    return m[1];
  }

  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form).toString(),
      },
      false,
    );
  }
}

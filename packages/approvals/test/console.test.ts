import type { ReadableStreamReadResult } from 'node:stream/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleFixture, TestBrowser, type ConsoleFixture } from './lib/console-fixture.js';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture();
});
afterAll(async () => {
  await f.close();
});

const EMAIL = ['dana', 'quill'].join('.') + '@example.org';

async function signedIn(user: string): Promise<{ browser: TestBrowser; html: string }> {
  const browser = new TestBrowser();
  const res = await browser.signIn(f.url, user);
  expect(res.status).toBe(200);
  const list = await browser.request(f.url);
  expect(list.status).toBe(200);
  return { browser, html: await list.text() };
}

describe('console: signed out', () => {
  it('offers sign-in and nothing else, under a strict CSP', async () => {
    const res = await fetch(f.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain(`${new URL(f.url).pathname}login`);
    expect(html).not.toContain('approvals/'.concat('0'));
    // Everything the page loads comes from the console itself.
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g))
      expect(m[1]?.startsWith('/approvals/')).toBe(true);
  });

  it('refuses the list fragment, the event stream and votes without a session', async () => {
    const id = await f.pendingFromAgent('DELETE FROM orders WHERE id = 1');
    expect((await fetch(`${f.url}fragment/pending`)).status).toBe(401);
    expect((await fetch(`${f.url}events`)).status).toBe(401);
    const vote = await fetch(`${f.url}approvals/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'verdict=approve&csrf=x',
    });
    expect(vote.status).toBe(401);
    expect((await f.store.get(id, new Date()))?.status).toBe('pending');
  });
});

describe('console: sign-in (authorization code + PKCE)', () => {
  it('sends the browser to the issuer with S256 PKCE, state and nonce, and a Lax login cookie', async () => {
    const browser = new TestBrowser();
    const res = await browser.request(`${f.url}login`, {}, false);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') ?? '');
    expect(to.origin).toBe(f.issuer.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('redirect_uri')).toBe(`${f.url}callback`);
    expect(browser.setCookies[0]).toMatch(/HttpOnly/);
    expect(browser.setCookies[0]).toMatch(/SameSite=Lax/);
  });

  it('signs bob in with an HttpOnly SameSite=Strict session cookie and lists the waiting request', async () => {
    const id = await f.pendingFromAgent(`UPDATE customers SET email = '${EMAIL}' WHERE id = 7`);
    const { browser, html } = await signedIn('bob');
    const session = browser.setCookies.find((c) => c.startsWith('portcullis-session='));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).not.toMatch(/Secure/); // plain http on loopback
    expect(html).toContain('Signed in as <strong>bob</strong>');
    expect(html).toContain(`approvals/${id}`);
    expect(html).toContain('alice <span class="via">via copilot</span>');
    expect(html).toContain('writes-need-a-manager');
    // The request's values are masked before they reach the page.
    expect(html).not.toContain(EMAIL);
    const detail = await (await browser.request(`${f.url}approvals/${id}`)).text();
    expect(detail).not.toContain(EMAIL);
    expect(detail).toContain('UPDATE customers SET email =');
    expect(detail).toContain('update customers');
    expect(detail).toContain('Writes to the warehouse need a manager');
  });

  it('refuses a callback with the wrong state, without the login cookie, or with a replayed code', async () => {
    const browser = new TestBrowser();
    const login = await browser.request(`${f.url}login`, {}, false);
    const authorize = new URL(login.headers.get('location') ?? '');
    authorize.pathname = '/authorize/grant';
    authorize.searchParams.set('user', 'bob');
    authorize.searchParams.set('state', 'not-the-state');
    const wrongState = await browser.request(authorize.href);
    expect(wrongState.status).toBe(400);
    expect(await wrongState.text()).toContain('state does not match');

    // A code and state lifted from another browser's sign-in: this browser never started it.
    const victim = new TestBrowser();
    const vLogin = await victim.request(`${f.url}login`, {}, false);
    const vAuthorize = new URL(vLogin.headers.get('location') ?? '');
    vAuthorize.pathname = '/authorize/grant';
    vAuthorize.searchParams.set('user', 'bob');
    const grant = await victim.request(vAuthorize.href, {}, false);
    const callbackUrl = grant.headers.get('location') ?? '';
    const attacker = new TestBrowser();
    const stolen = await attacker.request(callbackUrl);
    expect(stolen.status).toBe(400);
    expect(attacker.setCookies.some((c) => c.startsWith('portcullis-session='))).toBe(false);
    // The victim's own attempt was not spent by the attacker's try: its login id did not match.
    const ok = await victim.request(callbackUrl);
    expect(ok.status).toBe(200);
    // …and the same callback again is refused (single-use attempt).
    const again = await victim.request(callbackUrl);
    expect(again.status).toBe(400);
  });

  it('refuses a sign-in whose ID token names someone other than the access token', async () => {
    const browser = new TestBrowser();
    f.issuer.mismatchNextIdToken('alice');
    const res = await browser.signIn(f.url, 'bob');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('different people');
    expect(browser.setCookies.some((c) => c.startsWith('portcullis-session='))).toBe(false);
  });

  it('treats a forged session cookie as signed out', async () => {
    const res = await fetch(f.url, { headers: { cookie: `portcullis-session=${'A'.repeat(43)}` } });
    expect(await res.text()).toContain('Sign in with');
  });
});

describe('console: votes', () => {
  it('bob approves with a comment; the store records it and the agent’s exact request may run', async () => {
    const sql = 'UPDATE orders SET status = 1 WHERE id = 42';
    const id = await f.pendingFromAgent(sql);
    const { browser } = await signedIn('bob');
    const page = await (await browser.request(`${f.url}approvals/${id}`)).text();
    const res = await browser.post(`${f.url}approvals/${id}`, {
      csrf: TestBrowser.csrfOf(page),
      verdict: 'approve',
      comment: 'ok for the refund',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${new URL(f.url).pathname}approvals/${id}?voted=approve`);
    const after = await f.store.get(id, new Date());
    expect(after?.status).toBe('approved');
    expect(after?.votes.map((v) => [v.subject, v.verdict, v.comment])).toEqual([
      ['bob', 'approve', 'ok for the refund'],
    ]);
    const agent = await f.principal('alice', 'copilot');
    const auth = await f.portcullis.authorize({
      principal: agent,
      target: 'warehouse',
      request: { type: 'sql', sql },
    });
    expect(auth.approvalId).toBe(id);
  });

  it('refuses a vote without the CSRF token, from another origin, or with another session’s token', async () => {
    const id = await f.pendingFromAgent('DELETE FROM orders WHERE id = 2');
    const bob = await signedIn('bob');
    const carol = await signedIn('carol');
    const bobCsrf = TestBrowser.csrfOf(bob.html);
    const attempts = [
      await bob.browser.post(`${f.url}approvals/${id}`, { verdict: 'approve' }),
      await bob.browser.post(
        `${f.url}approvals/${id}`,
        { verdict: 'approve', csrf: bobCsrf },
        { origin: 'http://evil.example' },
      ),
      await bob.browser.post(
        `${f.url}approvals/${id}`,
        { verdict: 'approve', csrf: bobCsrf },
        { 'sec-fetch-site': 'cross-site' },
      ),
      await carol.browser.post(`${f.url}approvals/${id}`, { verdict: 'approve', csrf: bobCsrf }),
    ];
    expect(attempts.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect((await f.store.get(id, new Date()))?.votes).toEqual([]);
  });

  it('refuses alice on her own request and says why on the page', async () => {
    const id = await f.pendingFromAgent('DELETE FROM orders WHERE id = 3');
    const { browser } = await signedIn('alice');
    const page = await (await browser.request(`${f.url}approvals/${id}`)).text();
    const res = await browser.post(`${f.url}approvals/${id}`, {
      csrf: TestBrowser.csrfOf(page),
      verdict: 'approve',
    });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toMatch(/role="alert">Refused: [^<]*alice/);
    expect((await f.store.get(id, new Date()))?.status).toBe('pending');
  });

  it('refuses a manager whose token came through an agent', async () => {
    const id = await f.pendingFromAgent('DELETE FROM orders WHERE id = 4');
    const { browser } = await signedIn('mallory');
    const page = await (await browser.request(`${f.url}approvals/${id}`)).text();
    const res = await browser.post(`${f.url}approvals/${id}`, {
      csrf: TestBrowser.csrfOf(page),
      verdict: 'approve',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/role="alert">Refused: [^<]*agent/);
    expect((await f.store.get(id, new Date()))?.status).toBe('pending');
  });

  it('shows request text with markup escaped and hidden characters made visible', async () => {
    const id = await f.pendingFromAgent(
      "DELETE FROM orders WHERE note = '<script>x()</script>\u202Egnp.exe'",
    );
    const { browser } = await signedIn('bob');
    const html = await (await browser.request(`${f.url}approvals/${id}`)).text();
    expect(html).not.toContain('<script>x()');
    expect(html).toContain('&lt;script&gt;x()&lt;/script&gt;');
    expect(html).toContain('\\u202e');
    expect(html).not.toContain('\u202E');
  });

  it('signs out only with a same-origin form', async () => {
    const { browser, html } = await signedIn('bob');
    const bad = await browser.post(`${f.url}logout`, { csrf: 'nope' });
    expect(bad.status).toBe(403);
    const ok = await browser.post(`${f.url}logout`, { csrf: TestBrowser.csrfOf(html) });
    expect(ok.status).toBe(303);
    expect(await (await browser.request(f.url)).text()).toContain('Sign in with');
  });
});

describe('console: live list', () => {
  it('announces a new pending request on the event stream at once', async () => {
    const { browser } = await signedIn('bob');
    const res = await browser.request(`${f.url}events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    if (res.body === null) throw new Error('no body');
    const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
    const decoder = new TextDecoder();
    const next = async (): Promise<string> => {
      const chunk: ReadableStreamReadResult<Uint8Array> = await reader.read();
      return decoder.decode(chunk.value);
    };
    let seen = await next();
    expect(seen).toContain(': connected');
    const id = await f.pendingFromAgent('DELETE FROM orders WHERE id = 5');
    while (!seen.includes(id)) seen += await next();
    expect(seen).toContain(`event: change\ndata: ${id}`);
    await reader.cancel();
  });
});

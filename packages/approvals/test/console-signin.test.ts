// Red-team tests of the console over HTTP (no browser): an unauthenticated flood of sign-in
// attempts must not cancel an approver's sign-in in progress (docs/approvals.md: "sign-in
// attempts over 1,000 at once … are refused"), and login CSRF (a code from another browser's
// attempt) does not sign the victim in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleFixture, TestBrowser, type ConsoleFixture } from './lib/console-fixture.js';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture();
});
afterAll(async () => {
  await f.close();
});

describe('red team: console sign-in', () => {
  it('a flood of /login requests does not evict a sign-in already in progress', async () => {
    const bob = new TestBrowser();
    const login = await bob.request(`${f.url}login`, {}, false);
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location') ?? '');
    // The attacker (no cookies, no account) starts 1,050 sign-ins.
    for (let i = 0; i < 1050; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(`${f.url}login`, { redirect: 'manual' }).then((r) => r.arrayBuffer()),
        ),
      );
    }
    authorize.pathname = '/authorize/grant';
    authorize.searchParams.set('user', 'bob');
    const back = await bob.request(authorize.href);
    const html = await back.text();
    expect(html).not.toContain('Sign-in failed');
    expect(back.status).toBe(200);
  }, 60_000);

  it('a code and state from the attacker’s own sign-in do not sign the victim in (login CSRF)', async () => {
    const attacker = new TestBrowser();
    const login = await attacker.request(`${f.url}login`, {}, false);
    const authorize = new URL(login.headers.get('location') ?? '');
    authorize.pathname = '/authorize/grant';
    authorize.searchParams.set('user', 'mallory');
    const redirect = await fetch(authorize, { redirect: 'manual' });
    const callback = redirect.headers.get('location') ?? '';
    expect(callback).toContain('/callback?');
    const victim = new TestBrowser();
    await victim.request(`${f.url}login`, {}, false); // the victim has an attempt of her own
    const res = await victim.request(callback);
    expect(await res.text()).toContain('Sign-in failed');
    expect(victim.setCookies.some((c) => /portcullis-session=[A-Za-z0-9_-]{16,}/.test(c))).toBe(false);
  });
});

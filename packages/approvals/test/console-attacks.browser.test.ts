// Red-team tests of the approval console in a real Chromium (playwright-core): CSRF from
// another origin (same site: another port of 127.0.0.1; and cross site: localhost), XSS
// through request text, requester subject, actor and a reflected id, framing, and identity
// taken from request headers.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReviewRequiredError, type Principal } from '@portcullis/core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleFixture, type ConsoleFixture } from './lib/console-fixture.js';

const CHROMIUM = process.env['PORTCULLIS_CHROMIUM'] ?? '/usr/bin/chromium';
const suite = existsSync(CHROMIUM) ? describe : (describe.skip.bind(describe) as typeof describe);

const XSS_SQL =
  'UPDATE t SET v = \'</code></pre><script>window.__xss=1</script><img src=x onerror="window.__xss=2">\' WHERE id = 1';

suite('red team: approval console in Chromium', () => {
  let f: ConsoleFixture;
  let browser: Browser;
  let attacker: Server;
  let attackerPort = 0;
  let attackerHtml = '';

  beforeAll(async () => {
    f = await startConsoleFixture();
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(attackerHtml);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    attacker.closeAllConnections();
    await new Promise((resolve) => attacker.close(resolve));
    await f.close();
  });

  async function signIn(user: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(f.url);
    await page.getByRole('link', { name: /Sign in with/ }).click();
    await page.getByRole('link', { name: `Sign in as ${user}` }).click();
    await page.waitForURL(f.url);
    await expect.poll(() => page.locator('header').innerText()).toContain(`Signed in as ${user}`);
    return { context, page };
  }

  async function pendingAs(principal: Principal, sql: string): Promise<string> {
    try {
      await f.portcullis.authorize({ principal, target: 'warehouse', request: { type: 'sql', sql } });
    } catch (err) {
      if (err instanceof ReviewRequiredError) return err.approvalId;
      throw err;
    }
    throw new Error('expected review');
  }

  it('renders hostile request text, subject and actor as text (no script runs)', async () => {
    const id1 = await f.pendingFromAgent(XSS_SQL);
    const evil: Principal = {
      subject: '<img src=x onerror="window.__xss=3">',
      groups: ['analysts'],
      kind: 'agent',
      actor: '<svg onload="window.__xss=4">',
    };
    const id2 = await pendingAs(evil, 'DELETE FROM t WHERE id = 2');
    const { context, page } = await signIn('bob');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(f.url);
    await page.waitForTimeout(300);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    for (const id of [id1, id2]) {
      await page.goto(`${f.url}approvals/${id}`);
      await page.waitForTimeout(200);
      expect(await page.evaluate('window.__xss')).toBeUndefined();
      expect(await page.locator('script:not([src])').count()).toBe(0);
      expect(await page.locator('img, svg').count()).toBe(0);
    }
    expect(await page.locator('main').innerText()).toContain('<img src=x');
    // a reflected id in the not-found page
    await page.goto(`${f.url}approvals/${encodeURIComponent('<img src=x onerror=window.__xss=5>')}`);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    await context.close();
  }, 60_000);

  for (const host of ['127.0.0.1', 'localhost']) {
    it(`a signed-in approver visiting an attacker page on ${host} does not approve anything`, async () => {
      const id = await f.pendingFromAgent(`DELETE FROM t WHERE id = ${host === 'localhost' ? 30 : 31}`);
      const { context, page } = await signIn('bob');
      const target = `${f.url}approvals/${id}`;
      attackerHtml = `<!doctype html><body>
<iframe name="sink" id="sink"></iframe>
<form id="a" method="post" action="${target}" target="sink"><input name="verdict" value="approve"><input name="csrf" value=""></form>
<form id="b" method="post" action="${target}" target="sink" enctype="text/plain"><input name="verdict" value="approve"></form>
<script>
document.getElementById('a').submit();
setTimeout(() => document.getElementById('b').submit(), 200);
fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'verdict=approve&csrf=' });
</script></body>`;
      const evil = await context.newPage();
      await evil.goto(`http://${host}:${String(attackerPort)}/`);
      await evil.waitForTimeout(1200);
      // top-level navigation POST too
      attackerHtml = `<!doctype html><form id="c" method="post" action="${target}"><input name="verdict" value="approve"></form><script>document.getElementById('c').submit()</script>`;
      await evil.goto(`http://${host}:${String(attackerPort)}/top`);
      await evil.waitForTimeout(800);
      expect((await f.portcullis.approvals.get(id))?.status).toBe('pending');
      await page.close();
      await context.close();
    }, 60_000);
  }

  it('cannot be framed by another origin, and sends its protective headers', async () => {
    const { context } = await signIn('bob');
    attackerHtml = `<!doctype html><iframe id="f" src="${f.url}" width="800" height="600"></iframe>`;
    const evil = await context.newPage();
    await evil.goto(`http://localhost:${String(attackerPort)}/frame`);
    await evil.waitForTimeout(800);
    const frame = evil.frames().find((fr) => fr !== evil.mainFrame());
    const framedText =
      frame === undefined ? '' : await frame.evaluate('document.body?.innerText ?? ""').catch(() => '');
    expect(framedText).not.toContain('Signed in as');
    const res = await fetch(f.url);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    await context.close();
  }, 60_000);

  it('takes no identity from headers the caller controls', async () => {
    const id = await f.pendingFromAgent('DELETE FROM t WHERE id = 40');
    for (const headers of [
      { 'x-forwarded-user': 'bob', 'x-remote-user': 'bob', 'remote-user': 'bob' },
      { authorization: `Bearer ${await f.issuer.accessToken('bob')}` },
    ]) {
      const res = await fetch(`${f.url}approvals/${id}`, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          origin: new URL(f.url).origin,
        },
        body: 'verdict=approve',
        redirect: 'manual',
      });
      expect(res.status).toBe(401);
    }
    expect((await f.portcullis.approvals.get(id))?.status).toBe('pending');
  });
});

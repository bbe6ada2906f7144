// The console in a real browser: Debian's Chromium driven by playwright-core. bob signs in at
// the local issuer, approves the request alice's agent is waiting on, and the agent's UPDATE
// runs; alice signs in and is refused on her own request. Screenshots are kept in
// packages/approvals/test-artifacts/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGatedPool, type GatedPool } from '@portcullis/pg';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleFixture, type ConsoleFixture } from './lib/console-fixture.js';

const CHROMIUM = process.env['PORTCULLIS_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const suite = haveChromium ? describe : (describe.skip.bind(describe) as typeof describe);
const title = haveChromium
  ? 'approval console in Chromium'
  : `approval console in Chromium (skipped: no Chromium at ${CHROMIUM}; install Debian's chromium)`;

suite(title, () => {
  let f: ConsoleFixture;
  let db: TestDatabase;
  let pool: GatedPool;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    f = await startConsoleFixture();
    db = await createTestDatabase();
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    await raw.query(
      "CREATE TABLE orders (id int PRIMARY KEY, status text); INSERT INTO orders VALUES (42, 'open')",
    );
    await raw.end();
    pool = createGatedPool({
      config: { connectionString: db.url, max: 2 },
      portcullis: f.portcullis,
      target: 'warehouse',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await pool.end();
    await db.close();
    await f.close();
  });

  async function signIn(user: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(f.url);
    await page.getByRole('link', { name: /Sign in with/ }).click();
    await page.getByRole('link', { name: `Sign in as ${user}` }).click();
    await page.waitForURL(f.url);
    await expect.poll(() => page.locator('header').innerText()).toContain(`Signed in as ${user}`);
    return page;
  }

  async function pendingIds(): Promise<string[]> {
    return (await f.store.list({ status: 'pending' }, new Date())).map((a) => a.id);
  }

  it('bob approves what alice’s agent is waiting for, and the agent’s UPDATE runs', async () => {
    const before = new Set(await pendingIds());
    const agent = pool.as(await f.principal('alice', 'copilot'), {
      review: { mode: 'wait', timeoutMs: 90_000 },
    });
    const running = agent.query("UPDATE orders SET status = 'refunded' WHERE id = 42");
    await expect.poll(async () => (await pendingIds()).filter((id) => !before.has(id)).length).toBe(1);
    const id = (await pendingIds()).find((x) => !before.has(x)) ?? '';

    const signedOut = await browser.newPage();
    await signedOut.goto(f.url);
    await signedOut.screenshot({ path: path.join(artifacts, 'console-sign-in.png') });
    await signedOut.close();

    const page = await signIn('bob');
    const row = page
      .getByRole('row')
      .filter({ hasText: 'alice via copilot' })
      .filter({ hasText: 'refunded' });
    await expect.poll(() => row.count()).toBe(1);
    await page.screenshot({ path: path.join(artifacts, 'console-list.png'), fullPage: true });
    await row.getByRole('link', { name: `Review request ${id}` }).click();
    await expect.poll(() => page.locator('#status').innerText()).toBe('pending');
    await page.screenshot({ path: path.join(artifacts, 'console-request.png'), fullPage: true });

    // Keyboard only: the comment box by its label, then Tab to Approve and Enter.
    await page.getByLabel('Comment (optional)').focus();
    await page.keyboard.type('refund agreed with the customer');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Approve');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').innerText()).toBe('Your approval was recorded.');
    // The waiting agent may already be using the grant by the time the page shows: a statement
    // holds it reserved while it runs, and consumes it once it has run.
    expect(await page.locator('#status').innerText()).toMatch(/^(approved|reserved|consumed)$/);
    await page.screenshot({ path: path.join(artifacts, 'console-approved.png'), fullPage: true });

    const result = await running;
    expect(result.rowCount).toBe(1);
    const check = new pg.Client({ connectionString: db.url });
    await check.connect();
    const { rows } = await check.query<{ status: string }>('SELECT status FROM orders WHERE id = 42');
    await check.end();
    expect(rows[0]?.status).toBe('refunded');
    expect((await f.store.get(id, new Date()))?.status).toBe('consumed');
    await page.context().close();
  });

  it('alice is refused on her own request, and the page says why', async () => {
    const id = await f.pendingFromAgent('DELETE FROM orders WHERE id = 42');
    const page = await signIn('alice');
    await page.goto(`${f.url}approvals/${id}`);
    await page.getByRole('button', { name: 'Approve' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.innerText()).toMatch(/^Refused: .*alice/);
    await page.screenshot({ path: path.join(artifacts, 'console-refused.png'), fullPage: true });
    expect((await f.store.get(id, new Date()))?.status).toBe('pending');
    await page.context().close();
  });

  it('shows a new pending request on an open page without a reload', async () => {
    const page = await signIn('bob');
    const marker = `DELETE FROM orders WHERE id = ${String(1000 + Math.floor(Math.random() * 1000))}`;
    // A value set on the page now survives only if the page is not reloaded.
    await page.evaluate('window.portcullisMarker = 1');
    const started = Date.now();
    await f.pendingFromAgent(marker);
    await page.getByRole('cell', { name: marker }).waitFor({ timeout: 10_000 });
    const shownAfterMs = Date.now() - started;
    // The page was not reloaded: the value set before is still there.
    expect(await page.evaluate('window.portcullisMarker')).toBe(1);
    console.info(`console: a new pending request showed on the open page after ${String(shownAfterMs)} ms`);
    await page.context().close();
  });
});

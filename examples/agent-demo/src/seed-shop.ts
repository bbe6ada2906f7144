import { randomBytes, randomInt } from 'node:crypto';
import type pg from 'pg';

/** The values the demo put in the database that must never reach the agent. */
export interface ShopSecrets {
  readonly emails: readonly string[];
  readonly cards: readonly string[];
  readonly apiKeys: readonly string[];
}

/**
 * Creates the demo shop (customers with emails and card numbers, API keys) with values made
 * now: nothing in the source looks like a real credential, yet the masker recognises them.
 *
 * @example
 * ```ts
 * const secrets = await seedShop(pool);
 * ```
 */
export async function seedShop(pool: pg.Pool): Promise<ShopSecrets> {
  const people = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'];
  const emails = people.map(
    (p) => `${p.split(' ')[0]?.toLowerCase() ?? 'x'}.${randomBytes(2).toString('hex')}@example.com`,
  );
  const cards = people.map(() => luhnCard('4'));
  const apiKeys = ['ghp_' + base62(36), 'AKIA' + base32(16)];
  await pool.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL, card text NOT NULL, plan text NOT NULL);
    CREATE TABLE api_keys (id int PRIMARY KEY, name text NOT NULL, secret text NOT NULL);
  `);
  for (const [i, name] of people.entries()) {
    await pool.query('INSERT INTO customers VALUES ($1, $2, $3, $4, $5)', [
      i + 1,
      name,
      emails[i],
      cards[i],
      'basic',
    ]);
  }
  await pool.query('INSERT INTO api_keys VALUES (1, $1, $2), (2, $3, $4)', [
    'ci-github',
    apiKeys[0],
    'backup-aws',
    apiKeys[1],
  ]);
  return { emails, cards, apiKeys };
}

function luhnCard(prefix: string): string {
  let digits = prefix;
  while (digits.length < 15) digits += String(randomInt(10));
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    let d = Number(digits[14 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

function base62(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

function base32(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import { createIdentityResolver } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;

let dir: string;
let privateKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-jwks-'));
  const pair = await generateKeyPair('PS256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'file-1', alg: 'PS256' };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const token = (): Promise<string> =>
  new SignJWT({ iss: ISS, aud: AUD, sub: 'alice', exp: T + 60 })
    .setProtectedHeader({ alg: 'PS256', kid: 'file-1' })
    .sign(privateKey);

const resolverFor = (file: string) =>
  createIdentityResolver({ issuer: ISS, audience: AUD, jwks: { file } }, { now: () => new Date(T * 1000) });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('JWKS file', () => {
  it('reads the file once, then verifies from memory', async () => {
    const file = join(dir, 'once.json');
    await writeFile(file, JSON.stringify({ keys: [jwk] }));
    const identity = resolverFor(file);
    await expect(identity.resolve(await token())).resolves.toMatchObject({ subject: 'alice' });
    await writeFile(file, 'changed and broken');
    await expect(identity.resolve(await token())).resolves.toMatchObject({ subject: 'alice' });
  });

  it('a missing file is ERR_JWKS_UNAVAILABLE until it appears', async () => {
    const file = join(dir, 'later.json');
    const identity = resolverFor(file);
    expect(await code(identity.resolve(await token()))).toBe('ERR_JWKS_UNAVAILABLE');
    await writeFile(file, JSON.stringify({ keys: [jwk] }));
    await expect(identity.resolve(await token())).resolves.toMatchObject({ subject: 'alice' });
  });

  it.each([
    ['not JSON', '{ keys'],
    ['not a key set', '{"kty":"RSA"}'],
  ])('a file that is %s is ERR_JWKS_UNAVAILABLE', async (name, text) => {
    const file = join(dir, `${name.replaceAll(' ', '-')}.json`);
    await writeFile(file, text);
    expect(await code(resolverFor(file).resolve(await token()))).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it('a private key in the set is not used', async () => {
    const pair = await generateKeyPair('PS256', { extractable: true });
    const file = join(dir, 'private.json');
    await writeFile(
      file,
      JSON.stringify({ keys: [{ ...(await exportJWK(pair.privateKey)), kid: 'file-1', alg: 'PS256' }] }),
    );
    const signed = await new SignJWT({ iss: ISS, aud: AUD, sub: 'alice', exp: T + 60 })
      .setProtectedHeader({ alg: 'PS256', kid: 'file-1' })
      .sign(pair.privateKey);
    expect(await code(resolverFor(file).resolve(signed))).toBe('ERR_JWKS_UNAVAILABLE');
  });
});

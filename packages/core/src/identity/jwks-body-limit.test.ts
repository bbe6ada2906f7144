// A JWKS body is limited while it streams, not after: a loopback "IdP" sends an endless body, a
// gzip bomb and an endless compressed stream, and the fetch must stop at the limit (1 MiB) with
// ERR_JWKS_UNAVAILABLE instead of buffering everything until the timeout.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenError } from '../errors.js';
import { createIdentityResolver } from './resolve-identity.js';

const ISS = 'https://idp.test/';
const AUD = 'portcullis';
const T = 1_900_000_000;
const LIMIT = 1024 * 1024;

type Mode = 'endless' | 'gzip-bomb' | 'gzip-endless' | 'ok-gzip' | 'ok-slow';
const idp = { mode: 'endless' as Mode, sent: 0, closedEarly: false };
let server: Server;
let uri: string;
let privateKey: CryptoKey;
let jwk: JWK;
let bomb: Buffer;

/** Writes `chunk` forever (respecting backpressure) until the client goes away. */
function endless(res: ServerResponse, chunk: Buffer): void {
  const pump = (): void => {
    while (!res.destroyed) {
      idp.sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  // 64 MiB of spaces (valid JSON whitespace) after the key set, compressed to ~64 KiB.
  bomb = gzipSync(
    Buffer.concat([Buffer.from(JSON.stringify({ keys: [jwk] })), Buffer.alloc(64 * LIMIT, 0x20)]),
  );
  server = createServer((_req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) idp.closedEarly = true;
    });
    switch (idp.mode) {
      case 'endless':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[');
        endless(res, Buffer.alloc(64 * 1024, 0x20));
        return;
      case 'gzip-bomb':
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(bomb.length),
        });
        idp.sent += bomb.length;
        res.end(bomb);
        return;
      case 'gzip-endless':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        endless(res, bomb);
        return;
      case 'ok-slow':
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ keys: [jwk] }));
        }, 30);
        return;
      case 'ok-gzip': {
        const body = gzipSync(JSON.stringify({ keys: [jwk] }));
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(body.length) });
        res.end(body);
        return;
      }
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  idp.sent = 0;
  idp.closedEarly = false;
});

async function resolveWith(mode: Mode, jwksTimeoutMs = 60_000): Promise<unknown> {
  idp.mode = mode;
  const token = await new SignJWT({ iss: ISS, aud: AUD, sub: 'alice', iat: T, exp: T + 600 })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(privateKey);
  const identity = createIdentityResolver(
    { issuer: ISS, audience: AUD, jwks: { uri } },
    // A long timeout: the limit, not the clock, must end the fetch.
    { now: () => new Date(T * 1000), jwksTimeoutMs },
  );
  try {
    return await identity.resolve(token);
  } catch (err) {
    return err;
  }
}

describe('JWKS bodies are limited while they stream', () => {
  it('an endless body is cut off at the limit', async () => {
    const err = await resolveWith('endless');
    expect(err).toBeInstanceOf(TokenError);
    expect((err as TokenError).code).toBe('ERR_JWKS_UNAVAILABLE');
    expect((err as TokenError).message).toMatch(/larger than 1048576 bytes/);
    await until(() => idp.closedEarly);
    // What the server got to send is the limit plus what sockets buffer, not an unbounded stream.
    expect(idp.sent).toBeLessThan(16 * LIMIT);
  });

  it('a gzip bomb is cut off once its decompressed size passes the limit', async () => {
    const err = await resolveWith('gzip-bomb');
    expect((err as TokenError).code).toBe('ERR_JWKS_UNAVAILABLE');
    expect((err as TokenError).message).toMatch(/larger than 1048576 bytes/);
  });

  it('an endless compressed stream without Content-Length is refused before reading it', async () => {
    const err = await resolveWith('gzip-endless');
    expect((err as TokenError).code).toBe('ERR_JWKS_UNAVAILABLE');
    expect((err as TokenError).message).toMatch(/compressed .*Content-Length/);
    await until(() => idp.closedEarly);
    expect(idp.sent).toBeLessThan(16 * LIMIT);
  });

  // Node fires a timer set past 2^31 - 1 ms after 1 ms: such a timeout must not end every fetch.
  it('a timeout past the longest timer does not cut a fetch short', async () => {
    const principal = await resolveWith('ok-slow', 2 ** 31 + 1000);
    expect(principal).toMatchObject({ subject: 'alice' });
  });

  it('a small compressed key set with its Content-Length is accepted', async () => {
    const principal = await resolveWith('ok-gzip');
    expect(principal).toMatchObject({ subject: 'alice' });
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

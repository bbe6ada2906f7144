import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Portcullis, Principal } from '@portcullis/core';
import { toPrincipal } from './load-suite.js';
import { UsageError } from './usage-error.js';

/**
 * A bearer token from `--token` (the token itself, `@FILE`, or `-` for standard input), with
 * surrounding white space and an HTTP-style `Bearer ` prefix removed.
 */
export async function readToken(arg: string, cwd: string, stdin: NodeJS.ReadableStream): Promise<string> {
  return (await readRawToken(arg, cwd, stdin)).replace(/^Bearer\s+/i, '').trim();
}

async function readRawToken(arg: string, cwd: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (arg === '-') {
    let text = '';
    for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    return text.trim();
  }
  if (arg.startsWith('@')) {
    try {
      return (await readFile(path.resolve(cwd, arg.slice(1)), 'utf8')).trim();
    } catch (err) {
      throw new UsageError(`cannot read the token file ${arg.slice(1)}: ${(err as Error).message}`);
    }
  }
  return arg.trim();
}

/** The principal of `--principal JSON`. @throws UsageError saying what is wrong. */
export function parsePrincipalJson(json: string): Principal {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--principal is not JSON: ${(err as Error).message}`);
  }
  return toPrincipal(value, (message) => {
    throw new UsageError(`--principal: ${message}`);
  });
}

/** Resolves `--principal` or `--token` (exactly one). TokenError propagates. */
export async function principalFrom(
  values: { principal?: string | undefined; token?: string | undefined },
  engine: Portcullis,
  cwd: string,
  stdin: NodeJS.ReadableStream,
  usage: string,
): Promise<Principal> {
  const { principal, token } = values;
  if (principal !== undefined && token === undefined) return parsePrincipalJson(principal);
  if (token !== undefined && principal === undefined)
    return engine.resolvePrincipal(await readToken(token, cwd, stdin));
  throw new UsageError(`give exactly one of --principal JSON or --token JWT\n\n${usage}`);
}

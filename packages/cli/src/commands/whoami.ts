import path from 'node:path';
import { PortcullisError, createPortcullis, loadPolicyFile, type Principal } from '@portcullis/core';
import { EXIT_FAILED, EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { readToken } from '../lib/principal-arg.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './whoami.usage.js';

/** `portcullis whoami`: the principal a token resolves to, or why it is rejected. */
export const whoamiCommand: Command = {
  name: 'whoami',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      { policy: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n\n${usage}`);
    const policy = await loadPolicyFile(path.resolve(io.cwd, required(values.policy, '--policy', usage)));
    if (policy.identity === undefined)
      throw new UsageError(
        `${values.policy}: the policy has no identity section, so no token can be verified`,
      );
    const token = await readToken(required(values.token, '--token', usage), io.cwd, io.stdin);
    const engine = await createPortcullis({ policy });
    let principal: Principal;
    try {
      principal = await engine.resolvePrincipal(token);
    } catch (err) {
      if (!(err instanceof PortcullisError)) throw err;
      if (values.json === true)
        writeLine(io.stdout, JSON.stringify({ ok: false, code: err.code, message: err.message }, null, 2));
      else writeLine(io.stdout, `rejected: ${err.code}: ${err.message}`);
      return EXIT_FAILED;
    }
    if (values.json === true) writeLine(io.stdout, JSON.stringify({ ok: true, principal }, null, 2));
    else writeLine(io.stdout, formatPrincipal(principal));
    return EXIT_OK;
  },
};

function formatPrincipal(p: Principal): string {
  const lines = [
    `subject:  ${p.subject}`,
    `kind:     ${p.kind}`,
    `groups:   ${p.groups.length === 0 ? '(none)' : p.groups.join(', ')}`,
  ];
  if (p.actor !== undefined) lines.push(`actor:    ${p.actor}`);
  if (p.actorChain !== undefined && p.actorChain.length > 1)
    lines.push(`on behalf via: ${p.actorChain.join(' → ')}`);
  if (p.issuer !== undefined) lines.push(`issuer:   ${p.issuer}`);
  if (p.tokenId !== undefined) lines.push(`token id: ${p.tokenId}`);
  if (p.expiresAt !== undefined) {
    // The resolver only passes whole seconds up to the year 9999; a principal built elsewhere
    // may not, and printing must not throw on it.
    const date = new Date(p.expiresAt * 1000);
    lines.push(`expires:  ${Number.isNaN(date.getTime()) ? String(p.expiresAt) : date.toISOString()}`);
  }
  return lines.join('\n');
}

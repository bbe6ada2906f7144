import path from 'node:path';
import {
  PortcullisError,
  createPortcullis,
  loadPolicyFile,
  type Decision,
  type Principal,
  type Request,
} from '@portcullis/core';
import { EXIT_FAILED, EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { principalFrom } from '../lib/principal-arg.js';
import { didYouMean } from '../lib/did-you-mean.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './check.usage.js';

/** `portcullis check`: one decision, explained. */
export const checkCommand: Command = {
  name: 'check',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        policy: { type: 'string' },
        target: { type: 'string' },
        sql: { type: 'string' },
        command: { type: 'string' },
        'kube-method': { type: 'string' },
        'kube-path': { type: 'string' },
        'kube-header': { type: 'string', multiple: true },
        principal: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n\n${usage}`);
    const policy = await loadPolicyFile(path.resolve(io.cwd, required(values.policy, '--policy', usage)));
    const target = required(values.target, '--target', usage);
    if (!policy.targets.has(target)) {
      // A mistyped target is the caller's mistake, not a denial: say so, with the names it could be.
      const names = [...policy.targets.keys()];
      const guess = didYouMean(target, names);
      throw new UsageError(
        `unknown target ${JSON.stringify(target)}${guess === undefined ? '' : ` (did you mean ${guess}?)`}; ` +
          `the policy names ${names.length === 0 ? 'no targets' : names.join(', ')}`,
      );
    }
    const request = requestFrom(values);
    const engine = await createPortcullis({ policy });
    let principal: Principal;
    try {
      principal = await principalFrom(values, engine, io.cwd, io.stdin, usage);
    } catch (err) {
      if (!(err instanceof PortcullisError)) throw err;
      writeLine(io.stdout, `deny: the token was rejected: ${err.code}: ${err.message}`);
      return EXIT_FAILED;
    }
    const decision = engine.decide({ principal, target, request });
    writeLine(
      io.stdout,
      values.json === true
        ? JSON.stringify({ principal, target, request, decision }, null, 2)
        : explain(decision),
    );
    return decision.effect === 'allow' ? EXIT_OK : EXIT_FAILED;
  },
};

function requestFrom(values: {
  sql?: string | undefined;
  command?: string | undefined;
  'kube-method'?: string | undefined;
  'kube-path'?: string | undefined;
  'kube-header'?: string[] | undefined;
}): Request {
  const kube = values['kube-method'] !== undefined || values['kube-path'] !== undefined;
  const given = [values.sql !== undefined, values.command !== undefined, kube].filter(Boolean).length;
  if (given !== 1)
    throw new UsageError(`give exactly one of --sql, --command or --kube-method/--kube-path\n\n${usage}`);
  if (values.sql !== undefined) return { type: 'sql', sql: values.sql };
  if (values.command !== undefined) return { type: 'command', command: values.command };
  const method = required(values['kube-method'], '--kube-method', usage);
  const kubePath = required(values['kube-path'], '--kube-path', usage);
  const headers: Record<string, string[]> = {};
  for (const header of values['kube-header'] ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0)
      throw new UsageError(`--kube-header must look like "Name: value", got ${JSON.stringify(header)}`);
    const name = header.slice(0, colon).trim();
    (headers[name] ??= []).push(header.slice(colon + 1).trim());
  }
  return { type: 'kube', method, path: kubePath, headers };
}

/** A readable explanation of a decision. */
export function explain(decision: Decision): string {
  const lines = [`decision: ${decision.effect}`];
  if (decision.rules.length > 0) lines.push(`rules:    ${decision.rules.join(', ')}`);
  for (const reason of decision.reasons) lines.push(`reason:   ${reason}`);
  lines.push('actions:');
  for (const a of decision.actions) {
    const what = `${a.action.operation}${a.action.resource === undefined ? '' : ` ${a.action.resource}`}`;
    lines.push(`  ${what} → ${a.effect}${a.rules.length > 0 ? ` (${a.rules.join(', ')})` : ''}`);
  }
  for (const r of decision.review ?? []) {
    const who = [
      ...(r.approvers.groups ?? []).map((g) => `group ${g}`),
      ...(r.approvers.subjects ?? []).map((s) => `subject ${s}`),
    ].join(' or ');
    lines.push(
      `review:   ${r.minApprovals} approval(s) by ${who || 'nobody'} (rule ${r.ruleId}; ${r.grant} grant for ${Math.round(r.ttlMs / 1000)}s)`,
    );
  }
  if (decision.mask !== undefined) lines.push(`mask:     ${decision.mask}`);
  if (decision.recordingRequired) lines.push('recording: required');
  return lines.join('\n');
}

import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createMasker, listDetectors, loadPolicyFile, type MaskingProfileConfig } from '@portcullis/core';
import { EXIT_OK, writeLine, type CliIo } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './mask.usage.js';

/** `portcullis mask`: stdin → stdout with secrets masked. */
export const maskCommand: Command = {
  name: 'mask',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        policy: { type: 'string' },
        profile: { type: 'string' },
        'idle-flush': { type: 'string' },
        'hash-key-env': { type: 'string' },
        'list-detectors': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n\n${usage}`);
    if (values['list-detectors'] === true) {
      const detectors = listDetectors();
      if (values.json === true) writeLine(io.stdout, JSON.stringify(detectors, null, 2));
      else {
        const width = Math.max(...detectors.map((d) => d.id.length));
        for (const d of detectors)
          writeLine(io.stdout, `${d.id.padEnd(width)}  ${d.category.padEnd(6)}  ${d.description}`);
      }
      return EXIT_OK;
    }
    const profile = await profileFrom(values.policy, values.profile, io.cwd);
    const idle = values['idle-flush'] === undefined ? 200 : Number(values['idle-flush']);
    if (!Number.isInteger(idle) || idle < 0)
      throw new UsageError('--idle-flush takes a whole number of milliseconds');
    const hashKey = hashKeyFrom(io, values['hash-key-env'] ?? 'PORTCULLIS_MASK_KEY');
    let masker;
    try {
      masker = createMasker(profile, hashKey === undefined ? {} : { hashKey });
    } catch (err) {
      // An unknown detector, or the hash style without a key: the input is wrong, not the run.
      throw new UsageError((err as Error).message);
    }
    await pipeline(io.stdin, masker.createStream(idle > 0 ? { idleFlushMs: idle } : {}), io.stdout, {
      end: false,
    });
    return EXIT_OK;
  },
};

async function profileFrom(
  policyFile: string | undefined,
  name: string | undefined,
  cwd: string,
): Promise<MaskingProfileConfig> {
  if (policyFile === undefined) {
    if (name !== undefined) throw new UsageError('--profile names a profile of a policy: give --policy too');
    return {};
  }
  const policy = await loadPolicyFile(path.resolve(cwd, policyFile), { ignoreMissingSecrets: true });
  const chosen = name ?? policy.masking.default;
  if (chosen === undefined) return {};
  const profile = policy.masking.profiles.get(chosen);
  if (profile === undefined) {
    const known = [...policy.masking.profiles.keys()];
    throw new UsageError(
      `${policyFile} has no masking profile "${chosen}"${known.length > 0 ? `; it has ${known.join(', ')}` : ''}`,
    );
  }
  return profile;
}

function hashKeyFrom(io: CliIo, variable: string): Uint8Array | undefined {
  const text = io.env[variable];
  if (text === undefined || text === '') return undefined;
  const key =
    /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0
      ? Buffer.from(text, 'hex')
      : Buffer.from(text, 'base64');
  if (key.length < 16) throw new UsageError(`${variable} must hold at least 16 bytes (hex or base64)`);
  return key;
}

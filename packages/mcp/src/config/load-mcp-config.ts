import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A secret or setting taken from an environment variable or a file, never written inline. */
const source = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
  z.strictObject({ file: z.string().min(1) }),
]);

const configSchema = z.strictObject({
  /** The policy file, relative to the config file. */
  policy: z.string().min(1),
  /** Over stdio: the token of the principal the server acts for. */
  token: source.optional(),
  /** A PostgreSQL approval store shared with approvers (default: in memory, this process only). */
  approvals: z.strictObject({ store: source, schema: z.string().optional() }).optional(),
  targets: z.record(
    z.string(),
    z.union([
      z.strictObject({
        postgres: z.strictObject({
          connectionString: source,
          max: z.number().int().min(1).max(100).optional(),
        }),
      }),
      z.strictObject({
        ssh: z.strictObject({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65_535).optional(),
          username: z.string().min(1),
          privateKey: source.optional(),
          password: source.optional(),
          hostKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
          remoteShell: z.enum(['bash', 'sh', 'dash', 'ksh', 'zsh']).optional(),
        }),
      }),
      z.strictObject({ kubernetes: z.strictObject({ kubeconfig: source, context: z.string().optional() }) }),
    ]),
  ),
  http: z
    .strictObject({
      listen: z
        .string()
        .regex(/^.+:\d{1,5}$/, 'HOST:PORT')
        .optional(),
      resourceUrl: z.url(),
    })
    .optional(),
});

/** The MCP server's configuration, as written (see docs/mcp.md). */
export type McpConfig = z.infer<typeof configSchema>;
/** A value from the environment or a file. */
export type McpConfigSource = z.infer<typeof source>;

/** A loaded configuration: the file's content and the folder relative paths are resolved against. */
export interface LoadedMcpConfig {
  readonly config: McpConfig;
  readonly dir: string;
  readonly file: string;
}

/**
 * Reads and checks an MCP configuration file (YAML or JSON). Secrets (connection strings,
 * private keys, passwords, tokens) can only be named as `{ env: NAME }` or `{ file: PATH }`.
 *
 * @throws Error naming the file and each problem.
 */
export async function loadMcpConfig(file: string): Promise<LoadedMcpConfig> {
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new Error(
      `${file}: invalid MCP configuration\n${problems.join('\n')}\n(secrets are given as { env: NAME } or { file: PATH }, never inline)`,
    );
  }
  return { config: parsed.data, dir: path.dirname(path.resolve(file)), file };
}

/** Reads a `{ env }` or `{ file }` value. @throws Error when the variable is unset or the file unreadable. */
export async function readSource(s: McpConfigSource, dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  if ('env' in s) {
    const value = env[s.env];
    if (value === undefined || value === '') throw new Error(`the environment variable ${s.env} is not set`);
    return value;
  }
  return (await readFile(path.resolve(dir, s.file), 'utf8')).trim();
}

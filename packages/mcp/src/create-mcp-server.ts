import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMasker, grantTerms, type Principal, type Protocol } from '@portcullis/core';
import { z } from 'zod';
import { describePermissions } from './lib/describe-permissions.js';
import { failed, ok } from './lib/tool-result.js';
import type {
  McpKubeSession,
  McpPostgresSession,
  McpSshSession,
  McpTarget,
  PortcullisMcpOptions,
} from './types.js';

/** An MCP server for one principal, and the way to end the sessions it opened. */
export interface PrincipalMcpServer {
  readonly server: McpServer;
  /** Ends every gated session the server opened (their recordings end too). */
  readonly close: () => Promise<void>;
}

const MAX_TEXT_ROWS = 50;
const MAX_TEXT_CHARS = 20_000;

/**
 * Builds the MCP server that one principal's agent talks to: a tool per kind of request on the
 * policy's targets (`sql_query` for postgres targets; `ssh_exec`, `sftp_read`, `sftp_write` for
 * ssh; `kube_get`, `kube_list`, `kube_apply`, `kube_delete`, `kube_exec`, `kube_logs` for
 * kubernetes; `approval_status` always). Every call goes through the target's gate as this
 * principal — classified, decided, approved, masked and recorded there; the server adds nothing
 * that could skip a step. Tool descriptions say what the policy lets this principal do. A denial
 * or a pending review is a tool result with `isError`, its reasons and the approval id.
 *
 * The principal comes from the host (a verified token), never from tool arguments.
 *
 * @example
 * ```ts
 * const { server, close } = createMcpServer(await portcullis.resolvePrincipal(token), {
 *   portcullis,
 *   targets: { warehouse: { protocol: 'postgres', gate: pool } },
 * });
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createMcpServer(principal: Principal, options: PortcullisMcpOptions): PrincipalMcpServer {
  const { portcullis } = options;
  const policy = portcullis.policy;
  const masker = createMasker();
  const server = new McpServer(
    { name: options.name ?? 'portcullis', version: options.version ?? '0.1.0' },
    {
      instructions:
        'Requests go through Portcullis: each is checked against a policy, may need a person’s approval, and results are masked. When a tool result says an approval is needed, poll approval_status with its id and repeat the same request once it is approved.',
    },
  );
  const byProtocol = (protocol: Protocol): string[] =>
    Object.entries(options.targets)
      .filter(([, t]) => t.protocol === protocol)
      .map(([name]) => name)
      .sort();
  const sessions = new Map<string, { end(): Promise<void> }>();
  const sessionOf = <S extends { end(): Promise<void> }>(name: string, open: (t: McpTarget) => S): S => {
    let s = sessions.get(name) as S | undefined;
    if (s === undefined) {
      const target = options.targets[name];
      if (target === undefined) throw new TypeError(`no target ${name}`);
      s = open(target);
      sessions.set(name, s);
    }
    return s;
  };
  const pg = (name: string): McpPostgresSession =>
    sessionOf(name, (t) => {
      if (t.protocol !== 'postgres') throw new TypeError(`${name} is not a postgres target`);
      return t.gate.as(principal);
    });
  const ssh = (name: string): McpSshSession =>
    sessionOf(name, (t) => {
      if (t.protocol !== 'ssh') throw new TypeError(`${name} is not an ssh target`);
      return t.gate.as(principal);
    });
  const kube = (name: string): McpKubeSession =>
    sessionOf(name, (t) => {
      if (t.protocol !== 'kubernetes') throw new TypeError(`${name} is not a kubernetes target`);
      return t.gate.as(principal);
    });
  const permissions = (protocol: Protocol, names: readonly string[]): string =>
    names.map((n) => describePermissions(policy, principal, n, protocol)).join('\n');
  const run = async (work: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    try {
      return await work();
    } catch (err) {
      return failed(err, masker);
    }
  };
  const targetArg = (names: readonly string[]) =>
    z.enum(names as [string, ...string[]]).describe(`The target: ${names.join(', ')}`);

  const postgres = byProtocol('postgres');
  if (postgres.length > 0) {
    server.registerTool(
      'sql_query',
      {
        title: 'Run SQL',
        description: `Runs SQL on a PostgreSQL target through Portcullis and returns the rows, masked.\n${permissions('postgres', postgres)}`,
        inputSchema: {
          target: targetArg(postgres),
          sql: z.string().min(1).max(100_000).describe('The SQL text (one or more statements)'),
          params: z
            .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
            .max(1000)
            .optional()
            .describe('Values for $1, $2, …'),
        },
        annotations: { openWorldHint: false },
      },
      ({ target, sql, params }) =>
        run(async () => {
          const result = await pg(target).query(sql, params);
          const fields = (result.fields ?? []).map((f) => f.name);
          const shown = result.rows.slice(0, MAX_TEXT_ROWS);
          const text = clip(
            `${result.command ?? 'OK'} ${String(result.rowCount ?? result.rows.length)} row(s)` +
              (shown.length > 0 ? `\n${JSON.stringify(shown, null, 1)}` : '') +
              (result.rows.length > shown.length
                ? `\n… ${String(result.rows.length - shown.length)} more rows in structured content`
                : ''),
          );
          return ok({ rowCount: result.rowCount, fields, rows: [...result.rows] }, text);
        }),
    );
  }

  const sshTargets = byProtocol('ssh');
  if (sshTargets.length > 0) {
    const perms = permissions('ssh', sshTargets);
    server.registerTool(
      'ssh_exec',
      {
        title: 'Run a command over SSH',
        description: `Runs a shell command line on an SSH target through Portcullis; stdout and stderr come back masked.\n${perms}`,
        inputSchema: {
          target: targetArg(sshTargets),
          command: z
            .string()
            .min(1)
            .max(65_536)
            .describe('The command line, exactly as the remote shell will read it'),
          timeoutMs: z
            .number()
            .int()
            .min(1)
            .max(600_000)
            .optional()
            .describe('Stop the command after this many ms'),
        },
      },
      ({ target, command, timeoutMs }) =>
        run(async () => {
          const r = await ssh(target).exec(command, timeoutMs === undefined ? {} : { timeoutMs });
          const text = clip(
            `exit ${r.code === null ? `signal ${r.signal ?? '?'}` : String(r.code)}\n${r.stdout}${r.stderr === '' ? '' : `\n[stderr]\n${r.stderr}`}`,
          );
          return ok({ stdout: r.stdout, stderr: r.stderr, code: r.code, signal: r.signal }, text);
        }),
    );
    server.registerTool(
      'sftp_read',
      {
        title: 'Read a file over SFTP',
        description: `Reads a text file on an SSH target through Portcullis (masked).\n${perms}`,
        inputSchema: { target: targetArg(sshTargets), path: z.string().min(1).max(4096) },
        annotations: { readOnlyHint: true },
      },
      ({ target, path }) =>
        run(async () => {
          const content = await ssh(target).sftp().readFile(path);
          return ok({ path, content }, clip(content));
        }),
    );
    server.registerTool(
      'sftp_write',
      {
        title: 'Write a file over SFTP',
        description: `Writes a text file on an SSH target through Portcullis.\n${perms}`,
        inputSchema: {
          target: targetArg(sshTargets),
          path: z.string().min(1).max(4096),
          content: z.string().max(10 * 1024 * 1024),
        },
      },
      ({ target, path, content }) =>
        run(async () => {
          await ssh(target).sftp().writeFile(path, content);
          const bytes = Buffer.byteLength(content);
          return ok({ path, bytes }, `wrote ${String(bytes)} bytes to ${path}`);
        }),
    );
  }

  const kubeTargets = byProtocol('kubernetes');
  if (kubeTargets.length > 0) {
    const perms = permissions('kubernetes', kubeTargets);
    const ref = {
      target: targetArg(kubeTargets),
      apiVersion: z.string().max(253).optional().describe('e.g. v1 (default), apps/v1'),
      resource: z
        .string()
        .min(1)
        .max(253)
        .describe('The plural resource name: pods, deployments, configmaps, …'),
      namespace: z.string().max(253).optional(),
    };
    const object = (name: string, value: unknown): CallToolResult =>
      ok({ [name]: value }, clip(JSON.stringify(value, null, 1)));
    server.registerTool(
      'kube_get',
      {
        title: 'Get a Kubernetes object',
        description: `Reads one object through Portcullis (Secrets and other values masked).\n${perms}`,
        inputSchema: { ...ref, name: z.string().min(1).max(253) },
        annotations: { readOnlyHint: true },
      },
      ({ target, ...r }) => run(async () => object('object', await kube(target).get(defined(r)))),
    );
    server.registerTool(
      'kube_list',
      {
        title: 'List Kubernetes objects',
        description: `Lists objects through Portcullis (masked).\n${perms}`,
        inputSchema: {
          ...ref,
          labelSelector: z.string().max(1024).optional(),
          fieldSelector: z.string().max(1024).optional(),
          limit: z.number().int().min(1).max(1000).optional(),
        },
        annotations: { readOnlyHint: true },
      },
      ({ target, ...o }) => run(async () => object('list', await kube(target).list(defined(o)))),
    );
    server.registerTool(
      'kube_apply',
      {
        title: 'Create or update a Kubernetes object',
        description: `Creates the object, or merge-patches it when it exists, through Portcullis.\n${perms}`,
        inputSchema: {
          target: targetArg(kubeTargets),
          manifest: z
            .record(z.string(), z.unknown())
            .describe('The object, with apiVersion, kind and metadata'),
          resource: z
            .string()
            .max(253)
            .optional()
            .describe('The plural resource name, when it is not the kind’s'),
        },
      },
      ({ target, manifest, resource }) =>
        run(async () =>
          object('object', await kube(target).apply(manifest, resource === undefined ? {} : { resource })),
        ),
    );
    server.registerTool(
      'kube_delete',
      {
        title: 'Delete a Kubernetes object',
        description: `Deletes one object through Portcullis.\n${perms}`,
        inputSchema: { ...ref, name: z.string().min(1).max(253) },
        annotations: { destructiveHint: true },
      },
      ({ target, ...r }) => run(async () => object('status', await kube(target).delete(defined(r)))),
    );
    server.registerTool(
      'kube_exec',
      {
        title: 'Run a program in a container',
        description: `Runs a program in a pod's container through Portcullis; output comes back masked.\n${perms}`,
        inputSchema: {
          target: targetArg(kubeTargets),
          namespace: z.string().min(1).max(253),
          pod: z.string().min(1).max(253),
          container: z.string().max(253).optional(),
          command: z
            .array(z.string().max(65_536))
            .min(1)
            .max(1000)
            .describe('The program and its arguments (no shell unless you name one)'),
        },
      },
      ({ target, namespace, pod, container, command }) =>
        run(async () => {
          const r = await kube(target).exec({
            namespace,
            pod,
            command,
            ...(container === undefined ? {} : { container }),
          });
          return ok(
            { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode },
            clip(
              `exit ${String(r.exitCode)}\n${r.stdout}${r.stderr === '' ? '' : `\n[stderr]\n${r.stderr}`}`,
            ),
          );
        }),
    );
    server.registerTool(
      'kube_logs',
      {
        title: 'Read a container’s log',
        description: `Reads a pod's log through Portcullis (masked).\n${perms}`,
        inputSchema: {
          target: targetArg(kubeTargets),
          namespace: z.string().min(1).max(253),
          pod: z.string().min(1).max(253),
          container: z.string().max(253).optional(),
          tailLines: z.number().int().min(1).max(100_000).optional(),
        },
        annotations: { readOnlyHint: true },
      },
      ({ target, namespace, pod, container, tailLines }) =>
        run(async () => {
          const log = await kube(target).logs({
            namespace,
            pod,
            ...(container === undefined ? {} : { container }),
            ...(tailLines === undefined ? {} : { tailLines }),
          });
          return ok({ log }, clip(log));
        }),
    );
  }

  server.registerTool(
    'approval_status',
    {
      title: 'Check an approval',
      description:
        'Tells whether a request that needed approval has been approved, denied or has expired. Only your own requests can be looked up.',
      inputSchema: { id: z.string().min(1).max(100).describe('The approval id from an earlier result') },
      annotations: { readOnlyHint: true },
    },
    ({ id }) =>
      run(async () => {
        const approval = await portcullis.approvals.get(id);
        // Another principal's approvals are not this agent's business: answered as unknown.
        const mine =
          approval !== undefined &&
          approval.requester.subject === principal.subject &&
          approval.requester.issuer === principal.issuer;
        if (!mine) return failed(new TypeError(`there is no approval ${id} for you`), masker);
        const approvals = new Set(approval.votes.filter((v) => v.verdict === 'approve').map((v) => v.subject))
          .size;
        const needed = Math.max(...grantTerms(approval.requirements).needed);
        const next =
          approval.status === 'approved'
            ? 'Approved: send the same request again now.'
            : approval.status === 'pending'
              ? `Still waiting (${String(approvals)} of ${String(needed)} approvals); ask again later.`
              : approval.status === 'consumed'
                ? 'The approval was used by the request it approved.'
                : approval.status === 'reserved'
                  ? 'The approval is in use by an open transaction: it is spent if that transaction commits and usable again if it rolls back.'
                  : `It is ${approval.status}: do not retry without a new approval.`;
        return ok(
          {
            id,
            status: approval.status,
            target: approval.target,
            approvals,
            needed,
            expiresAt:
              approval.status === 'approved' ? (approval.grantExpiresAt ?? null) : approval.expiresAt,
          },
          `${id} is ${approval.status}. ${next}`,
        );
      }),
  );

  return {
    server,
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((s) => s.end()));
      await server.close();
    },
  };
}

function clip(text: string): string {
  return text.length <= MAX_TEXT_CHARS
    ? text
    : `${text.slice(0, MAX_TEXT_CHARS)}\n… (cut; the whole result is in structured content)`;
}

/** The object without its `undefined` members (optional tool arguments the caller left out). */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

function defined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

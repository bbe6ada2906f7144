import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Effect, Principal, PrincipalKind, Request } from '@portcullis/core';
import { isAlias, isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { UsageError } from './usage-error.js';

/** One case of a policy test suite (docs/ §5). */
export interface PolicyTestCase {
  readonly name: string;
  readonly principal: Principal;
  readonly target: string;
  readonly request: Request;
  readonly expect: Effect;
  readonly expectRule?: string;
  /** The masking profile the decision must name (`null`: none). */
  readonly expectMask?: string | null;
  /** What review the decision must ask for. */
  readonly expectReview?: ExpectedReview;
  /** Whether the decision must require recording. */
  readonly expectRecording?: boolean;
  /** 1-based line of the case in its file. */
  readonly line: number;
}

/** `expectReview`: the approvers and how many, as the review rule says them. */
export interface ExpectedReview {
  readonly approvers?: { readonly groups?: readonly string[]; readonly subjects?: readonly string[] };
  readonly minApprovals?: number;
}

/** A parsed suite file. */
export interface PolicyTestSuite {
  readonly file: string;
  /** Absolute path of the policy, resolved against the suite's folder. */
  readonly policy: string;
  readonly cases: readonly PolicyTestCase[];
}

const EFFECTS: readonly Effect[] = ['allow', 'deny', 'review'];
const KINDS: readonly PrincipalKind[] = ['human', 'agent', 'service'];
const CASE_KEYS = new Set([
  'name',
  'principal',
  'target',
  'sql',
  'command',
  'kube',
  'expect',
  'expectRule',
  'expectMask',
  'expectReview',
  'expectRecording',
]);
const PRINCIPAL_KEYS = new Set(['subject', 'groups', 'kind', 'actor']);
const KUBE_KEYS = new Set(['method', 'path', 'headers']);

/**
 * Reads and validates a suite file.
 *
 * @example
 * ```ts
 * const suite = await loadSuite('policies/portcullis.test.yaml');
 * ```
 * @throws UsageError naming the file, line and what to fix.
 */
export async function loadSuite(file: string): Promise<PolicyTestSuite> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: cannot read the suite: ${(err as Error).message}`);
  }
  return parseSuite(text, file);
}

/**
 * Parses a suite from text (YAML or JSON, which is YAML).
 *
 * @throws UsageError naming the file, line and what to fix.
 */
export function parseSuite(text: string, file: string): PolicyTestSuite {
  const lines = new LineCounter();
  // `merge`: `<<: *base` merge keys, so cases can share a principal or a request through anchors.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lines.linePos(node.range[0]).line : 1;
  const fail = (node: Node | null | undefined, where: string, message: string): never => {
    throw new UsageError(`${file}:${lineOf(node)}: ${where}: ${message}`);
  };
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const pos = firstError.linePos?.[0];
    throw new UsageError(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: invalid YAML: ${firstError.message}`);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'suite', 'expected a mapping with `policy` and `cases`');
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value);
    // `x-…` keys hold anchors for the cases to refer to (`x-analyst: &analyst { … }`).
    if (key !== 'policy' && key !== 'cases' && !key.startsWith('x-'))
      fail(pair.key, key, 'unknown key; a suite has `policy`, `cases` and `x-…` keys for anchors');
  }
  const policyNode = root.get('policy', true) as Node | undefined;
  const policy: unknown = root.get('policy');
  if (typeof policy !== 'string' || policy === '')
    return fail(policyNode ?? root, 'policy', 'expected the path of the policy file, relative to this suite');
  const casesNode = root.get('cases', true) as Node | undefined;
  if (!isSeq(casesNode)) return fail(casesNode ?? root, 'cases', 'expected a list of cases');

  const cases: PolicyTestCase[] = [];
  const names = new Set<string>();
  casesNode.items.forEach((item, index) => {
    const where = `cases[${index}]`;
    const node = (isAlias(item) ? item.resolve(doc) : item) as Node;
    if (!isMap(node)) return fail(node, where, 'expected a mapping');
    const value = node.toJS(doc) as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      if (!CASE_KEYS.has(key))
        fail(
          node.get(key, true),
          `${where}.${key}`,
          `unknown key; expected one of ${[...CASE_KEYS].join(', ')}`,
        );
    }
    const at = (key: string): Node => (node.get(key, true) as Node | undefined) ?? node;
    const name = value['name'];
    if (typeof name !== 'string' || name === '') return fail(at('name'), `${where}.name`, 'expected a name');
    if (names.has(name)) fail(at('name'), `${where}.name`, `duplicate case name "${name}"`);
    names.add(name);
    const expectValue = value['expect'];
    if (typeof expectValue !== 'string' || !EFFECTS.includes(expectValue as Effect))
      fail(at('expect'), `${where}.expect`, 'expected allow, deny or review');
    const target = value['target'];
    if (typeof target !== 'string' || target === '')
      return fail(at('target'), `${where}.target`, 'expected a target name');
    const expectRule = value['expectRule'];
    if (expectRule !== undefined && typeof expectRule !== 'string')
      return fail(at('expectRule'), `${where}.expectRule`, 'expected a rule id');
    const expectMask = value['expectMask'];
    if (expectMask !== undefined && expectMask !== null && typeof expectMask !== 'string')
      return fail(
        at('expectMask'),
        `${where}.expectMask`,
        'expected a masking profile name, or null for none',
      );
    const expectRecording = value['expectRecording'];
    if (expectRecording !== undefined && typeof expectRecording !== 'boolean')
      return fail(at('expectRecording'), `${where}.expectRecording`, 'expected true or false');
    const expectReview =
      value['expectReview'] === undefined
        ? undefined
        : toExpectedReview(value['expectReview'], (m) =>
            fail(at('expectReview'), `${where}.expectReview`, m),
          );
    cases.push({
      name,
      principal: toPrincipal(value['principal'], (m) => fail(at('principal'), `${where}.principal`, m)),
      target,
      request: toRequest(value, (key, m) => fail(at(key), `${where}${key ? `.${key}` : ''}`, m)),
      expect: expectValue as Effect,
      ...(expectRule === undefined ? {} : { expectRule }),
      ...(expectMask === undefined ? {} : { expectMask }),
      ...(expectReview === undefined ? {} : { expectReview }),
      ...(expectRecording === undefined ? {} : { expectRecording }),
      line: lineOf(node),
    });
  });
  return { file, policy: path.resolve(path.dirname(file), policy), cases };
}

function toExpectedReview(value: unknown, fail: (message: string) => never): ExpectedReview {
  const shape = 'expected { approvers?: { groups?, subjects? }, minApprovals? }';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(shape);
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r))
    if (key !== 'approvers' && key !== 'minApprovals') fail(`unknown key "${key}"; ${shape}`);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const { approvers, minApprovals } = r;
  if (minApprovals !== undefined && (!Number.isSafeInteger(minApprovals) || (minApprovals as number) < 1))
    fail('minApprovals: expected an integer ≥ 1');
  if (approvers === undefined)
    return minApprovals === undefined ? {} : { minApprovals: minApprovals as number };
  if (typeof approvers !== 'object' || approvers === null || Array.isArray(approvers)) return fail(shape);
  const a = approvers as Record<string, unknown>;
  for (const key of Object.keys(a))
    if (key !== 'groups' && key !== 'subjects') fail(`approvers: unknown key "${key}"`);
  if (a['groups'] !== undefined && !strings(a['groups']))
    fail('approvers.groups: expected a list of strings');
  if (a['subjects'] !== undefined && !strings(a['subjects']))
    fail('approvers.subjects: expected a list of strings');
  return {
    approvers: a,
    ...(minApprovals === undefined ? {} : { minApprovals: minApprovals as number }),
  };
}

/** Validates a principal given as data (a suite case, `--principal JSON`). */
export function toPrincipal(value: unknown, fail: (message: string) => never): Principal {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('expected { subject, groups?, kind?, actor? }');
  const p = value as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!PRINCIPAL_KEYS.has(key)) fail(`unknown key "${key}"`);
  const { subject, groups = [], kind = 'human', actor } = p;
  if (typeof subject !== 'string' || subject === '') return fail('subject: expected a string');
  if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === 'string'))
    return fail('groups: expected a list of strings');
  const kindValue = KINDS.find((k) => k === kind);
  if (kindValue === undefined) return fail('kind: expected human, agent or service');
  if (actor !== undefined && (typeof actor !== 'string' || actor === ''))
    return fail('actor: expected a string');
  return {
    subject,
    groups,
    kind: kindValue,
    ...(actor === undefined ? {} : { actor, actorChain: [actor] }),
  };
}

function toRequest(value: Record<string, unknown>, fail: (key: string, message: string) => never): Request {
  const given = (['sql', 'command', 'kube'] as const).filter((k) => value[k] !== undefined);
  const kind = given[0];
  if (kind === undefined || given.length !== 1)
    return fail('', 'expected exactly one of sql, command or kube');
  const v = value[kind];
  if (kind === 'sql') {
    if (typeof v !== 'string') return fail('sql', 'expected the SQL text');
    return { type: 'sql', sql: v };
  }
  if (kind === 'command') {
    if (typeof v !== 'string') return fail('command', 'expected the command line');
    return { type: 'command', command: v };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail('kube', 'expected { method, path, headers? }');
  const k = v as Record<string, unknown>;
  for (const key of Object.keys(k)) if (!KUBE_KEYS.has(key)) fail('kube', `unknown key "${key}"`);
  if (typeof k['method'] !== 'string' || typeof k['path'] !== 'string')
    return fail('kube', 'expected method and path strings');
  const headers = k['headers'] ?? {};
  if (
    typeof headers !== 'object' ||
    Array.isArray(headers) ||
    !Object.values(headers).every(
      (h) => typeof h === 'string' || (Array.isArray(h) && h.every((x) => typeof x === 'string')),
    )
  )
    return fail('kube', 'headers: expected a mapping of header names to strings or lists of strings');
  return {
    type: 'kube',
    method: k['method'],
    path: k['path'],
    headers: headers as Record<string, string | string[]>,
  };
}

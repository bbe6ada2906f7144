// Policy decision throughput (STYLE.md "compile once, decide many times"): Portcullis' compiled
// evaluate() on a generated 200-rule policy, beside Cedar (the Rust engine, as WASM) deciding an
// equivalent policy set, and beside a straightforward evaluator that re-reads the document and
// compiles every glob on each call. All three decide the same requests in the same run.
import { isAuthorized, preparsePolicySet, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { evaluate, parsePolicy, type Action, type PolicyDocument, type Principal } from '@portcullis/core';
import picomatch from 'picomatch';
import { parseDocument, stringify } from 'yaml';
import type { BenchSuite } from '../harness.js';

const RULES = 200;
const protocols = ['postgres', 'ssh', 'kubernetes'] as const;
const ops = {
  postgres: ['select', 'insert', 'update', 'delete', 'drop', 'truncate'],
  ssh: ['exec', 'write', 'sftp_read'],
  kubernetes: ['get', 'list', 'delete', 'exec'],
} as const;
const targetNames = Array.from({ length: 12 }, (_, i) => `t${i}`);
const protocolOf = (t: string) => protocols[Number(t.slice(1)) % 3]!;
const resourceGlob = (protocol: (typeof protocols)[number], i: number) =>
  protocol === 'postgres' ? `s${i % 5}.*` : protocol === 'ssh' ? `cmd${i % 7} *` : `namespaces/ns${i % 4}/**`;

// A deterministic policy: mostly allows, some reviews, a few denies; every rule names literal
// groups, one target and two operations, and about half name resources.
const rules: NonNullable<PolicyDocument['rules']> = Array.from({ length: RULES }, (_, i) => {
  const target = targetNames[i % targetNames.length]!;
  const protocol = protocolOf(target);
  const vocab = ops[protocol];
  const effect = i % 10 === 0 ? 'deny' : i % 7 === 0 ? 'review' : 'allow';
  return {
    id: `r${i}`,
    effect,
    when: {
      groups: [`g${i % 20}`, `g${(i + 3) % 20}`],
      targets: [target],
      operations: [vocab[i % vocab.length]!, vocab[(i + 1) % vocab.length]!],
      ...(i % 2 === 0 ? { resources: [resourceGlob(protocol, i)] } : {}),
    },
    ...(effect === 'review' ? { review: { approvers: { groups: ['leads'] } } } : {}),
  };
});
const document: PolicyDocument = {
  version: 1,
  targets: Object.fromEntries(targetNames.map((t) => [t, { protocol: protocolOf(t) }])),
  rules,
};
const yamlText = stringify(document);
const policy = parsePolicy(yamlText, { file: 'bench.yaml' });

interface BenchRequest {
  readonly principal: Principal;
  readonly target: string;
  readonly actions: readonly Action[];
}
const resourceFor = (protocol: (typeof protocols)[number], i: number) =>
  protocol === 'postgres'
    ? `s${i % 6}.orders`
    : protocol === 'ssh'
      ? `cmd${i % 8} -v /var/log`
      : `namespaces/ns${i % 5}/pods/web-${i}`;
const requests: BenchRequest[] = Array.from({ length: 64 }, (_, i) => {
  const target = targetNames[(i * 5) % targetNames.length]!;
  const protocol = protocolOf(target);
  const vocab = ops[protocol];
  const actions = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
    operation: vocab[(i + k) % vocab.length]!,
    resource: resourceFor(protocol, i + k),
  }));
  return {
    principal: { subject: `user${i}`, groups: [`g${i % 20}`, `g${(i * 7) % 20}`], kind: 'human' },
    target,
    actions,
  };
});

// The same rules in Cedar: allow → permit, deny → forbid. Cedar has no "review"; a review rule
// becomes a forbid carrying the same conditions, so Cedar does the same matching work.
const cedarText = rules
  .map((r) => {
    const w = r.when!;
    const cond = [
      `context.target == "${w.targets![0]}"`,
      `[${w.operations!.map((o) => `"${o}"`).join(', ')}].contains(context.operation)`,
      `(${w.groups!.map((g) => `principal.groups.contains("${g}")`).join(' || ')})`,
      ...(w.resources
        ? [`context has resource && context.resource like "${w.resources[0]!.replace(/\*\*/g, '*')}"`]
        : []),
    ];
    return `@id("${r.id}")\n${r.effect === 'allow' ? 'permit' : 'forbid'}(principal, action, resource) when { ${cond.join(' && ')} };`;
  })
  .join('\n');
const PSET = 'portcullis-bench';
const parsed = preparsePolicySet(PSET, { staticPolicies: cedarText });
if (parsed.type !== 'success')
  throw new Error(`cedar policy did not parse: ${JSON.stringify(parsed.errors[0])}`);

function cedarDecide(req: BenchRequest): string {
  const principal = { type: 'User', id: req.principal.subject };
  const entities = [{ uid: principal, attrs: { groups: [...req.principal.groups] }, parents: [] }];
  let worst = 'allow';
  for (const action of req.actions) {
    const answer = statefulIsAuthorized({
      principal,
      action: { type: 'Action', id: 'request' },
      resource: { type: 'Target', id: req.target },
      context: {
        target: req.target,
        operation: action.operation,
        ...(action.resource === undefined ? {} : { resource: action.resource }),
      },
      preparsedPolicySetId: PSET,
      entities,
    });
    if (answer.type !== 'success' || answer.response.decision === 'deny') worst = 'deny';
  }
  return worst;
}

// docs/policy.md transcribed directly: walk every rule, compile every glob on each use.
function naiveDecide(doc: PolicyDocument, req: BenchRequest): string {
  const protocol = doc.targets[req.target]?.protocol;
  if (protocol === undefined || req.actions.length === 0) return 'deny';
  const any = (patterns: readonly string[] | undefined, value: string | undefined, path = false) =>
    patterns === undefined ||
    (value !== undefined &&
      patterns.some((p) =>
        picomatch.isMatch(value, path ? p : p.replace(/\*+/g, '**'), { dot: true, bash: !path }),
      ));
  let worst = 0;
  for (const action of req.actions) {
    let effect = -1;
    for (const r of doc.rules ?? []) {
      const w = r.when ?? {};
      const matches =
        any(w.targets, req.target) &&
        any(w.operations, action.operation) &&
        (w.groups === undefined || req.principal.groups.some((g) => any(w.groups, g))) &&
        any(w.resources, action.resource, protocol === 'kubernetes');
      if (!matches) continue;
      const rank = r.effect === 'deny' ? 2 : r.effect === 'review' ? 1 : 0;
      if (rank > effect) effect = rank;
    }
    worst = Math.max(worst, effect < 0 ? 2 : effect);
  }
  return ['allow', 'review', 'deny'][worst]!;
}

const tally = (decide: (r: BenchRequest) => string) => {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[decide(r)] = (counts[decide(r)] ?? 0) + 1;
  return JSON.stringify(counts);
};

// Sanity: Cedar's one-call API (parses the policy set every call) agrees it is the same text.
const oneShot = isAuthorized({
  principal: { type: 'User', id: 'x' },
  action: { type: 'Action', id: 'request' },
  resource: { type: 'Target', id: 't0' },
  context: { target: 't0', operation: 'select' },
  policies: { staticPolicies: cedarText },
  entities: [{ uid: { type: 'User', id: 'x' }, attrs: { groups: [] }, parents: [] }],
});
if (oneShot.type !== 'success') throw new Error('cedar isAuthorized failed');

let cursor = 0;
const next = (): BenchRequest => requests[cursor++ % requests.length]!;

export const suites: readonly BenchSuite[] = [
  {
    name: 'policy decisions: 200 rules, 12 targets, 64 requests of 1-3 actions',
    description:
      'One decision per call. Cedar (WASM, preparsed policy set; review rules as forbid) is the baseline; ' +
      'Portcullis evaluate() on the compiled policy; a naive evaluator compiling globs per call.',
    notes: {
      rules: RULES,
      'decisions (portcullis)': tally((r) => evaluate(policy, r).effect),
      'decisions (naive, same semantics)': tally((r) => naiveDecide(document, r)),
      'decisions (cedar, allow/deny only)': tally(cedarDecide),
    },
    baseline: { name: 'cedar-wasm statefulIsAuthorized (per action)', fn: () => cedarDecide(next()) },
    tasks: [
      { name: 'portcullis evaluate (compiled)', fn: () => evaluate(policy, next()).effect },
      { name: 'naive evaluator (globs compiled per call)', fn: () => naiveDecide(document, next()) },
    ],
  },
  {
    name: 'policy load: 200-rule YAML',
    description: 'parsePolicy (parse, validate, compile every glob) beside parsing the same YAML alone.',
    bytesPerOp: yamlText.length,
    baseline: {
      name: 'yaml parseDocument + toJS',
      fn: () => parseDocument(yamlText).toJS() as unknown,
    },
    tasks: [{ name: 'portcullis parsePolicy', fn: () => parsePolicy(yamlText) }],
  },
];

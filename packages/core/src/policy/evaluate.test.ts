import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, Principal, PrincipalKind } from '../types.js';
import { compilePolicy } from './compile-policy.js';
import { evaluate } from './evaluate.js';
import { compileGlob } from './glob.js';
import { parsePolicy } from './load-policy.js';
import type { CompiledPolicy, PolicyDocument, PolicyRule, PolicyWhen } from './policy-types.js';
import { OPERATION_VOCABULARY } from './vocabulary.js';

const targets = {
  warehouse: { protocol: 'postgres' },
  bastion: { protocol: 'ssh' },
  'prod-cluster': { protocol: 'kubernetes' },
} as const;

const policyOf = (rules: PolicyRule[], extra: Partial<PolicyDocument> = {}): CompiledPolicy =>
  compilePolicy({ version: 1, targets, rules, ...extra });

const human = (subject: string, groups: string[] = [], extra: Partial<Principal> = {}): Principal => ({
  subject,
  groups,
  kind: 'human',
  ...extra,
});
const alice = human('alice', ['analysts']);
const a = (operation: string, resource?: string): Action =>
  resource === undefined ? { operation } : { operation, resource };

const SPEC_POLICY = `version: 1
targets:
  warehouse: { protocol: postgres }
  bastion: { protocol: ssh }
  prod-cluster: { protocol: kubernetes }
rules:
  - id: analysts-read
    effect: allow
    when:
      groups: [analysts]
      targets: [warehouse]
      operations: [select, explain]
    mask: default
  - id: analysts-write-needs-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [insert, update, delete] }
    review:
      approvers: { groups: [managers] }
      minApprovals: 1
      ttl: 30m
    reason: Writes to the warehouse need a manager
  - id: no-destructive-ddl
    effect: deny
    when: { targets: ["*"], operations: [drop, truncate] }
    reason: Destructive DDL is never allowed
masking:
  profiles:
    default: { detectors: [secrets, pii] }
`;

describe('evaluate: the SPEC §4 example', () => {
  const policy = parsePolicy(SPEC_POLICY, { file: 'portcullis.yaml' });

  it('allows a select with the rule, a generated reason and the mask', () => {
    expect(
      evaluate(policy, { principal: alice, target: 'warehouse', actions: [a('select', 'orders')] }),
    ).toEqual({
      effect: 'allow',
      rules: ['analysts-read'],
      reasons: ['rule analysts-read allows select orders on warehouse'],
      actions: [
        {
          action: a('select', 'orders'),
          effect: 'allow',
          rules: ['analysts-read'],
          reasons: ['rule analysts-read allows select orders on warehouse'],
        },
      ],
      mask: 'default',
      recordingRequired: false,
    });
  });

  it('sends a write to review with the requirement, and keeps the mask for after approval', () => {
    const d = evaluate(policy, {
      principal: alice,
      target: 'warehouse',
      actions: [a('select', 'orders'), a('update', 'orders')],
    });
    expect(d.effect).toBe('review');
    expect(d.rules).toEqual(['analysts-write-needs-manager']);
    expect(d.reasons).toEqual(['Writes to the warehouse need a manager']);
    expect(d.actions.map((x) => x.effect)).toEqual(['allow', 'review']);
    expect(d.review).toEqual([
      {
        ruleId: 'analysts-write-needs-manager',
        approvers: { groups: ['managers'] },
        minApprovals: 1,
        ttlMs: 30 * 60 * 1000,
        grant: 'once',
        reason: 'Writes to the warehouse need a manager',
      },
    ]);
    expect(d.mask).toBe('default');
  });

  it('denies the whole request when any action is denied (deny > review > allow)', () => {
    const d = evaluate(policy, {
      principal: alice,
      target: 'warehouse',
      actions: [a('select', 'orders'), a('update', 'orders'), a('drop', 'orders')],
    });
    expect(d.effect).toBe('deny');
    expect(d.rules).toEqual(['no-destructive-ddl']);
    expect(d.reasons).toEqual(['Destructive DDL is never allowed']);
    expect(d.actions.map((x) => x.effect)).toEqual(['allow', 'review', 'deny']);
    expect(d.review).toBeUndefined();
    expect(d.mask).toBeUndefined();
  });

  it('denies what no rule allows, saying what and where', () => {
    const d = evaluate(policy, { principal: alice, target: 'warehouse', actions: [a('grant', 'orders')] });
    expect(d).toMatchObject({
      effect: 'deny',
      rules: [],
      reasons: ['no rule allows grant orders on warehouse'],
    });
    const d2 = evaluate(policy, {
      principal: human('bob', ['sales']),
      target: 'warehouse',
      actions: [a('select', 't')],
    });
    expect(d2.reasons).toEqual(['no rule allows select t on warehouse']);
  });

  it('denies an empty request, an undefined target and malformed input', () => {
    expect(evaluate(policy, { principal: alice, target: 'warehouse', actions: [] })).toEqual({
      effect: 'deny',
      rules: [],
      reasons: ['request has no actions'],
      actions: [],
      recordingRequired: false,
    });
    const d = evaluate(policy, { principal: alice, target: 'nowhere', actions: [a('select', 'x')] });
    expect(d.effect).toBe('deny');
    expect(d.reasons).toEqual(['target "nowhere" is not defined in the policy']);
    expect(d.actions).toEqual([
      {
        action: a('select', 'x'),
        effect: 'deny',
        rules: [],
        reasons: ['target "nowhere" is not defined in the policy'],
      },
    ]);
    const broken = { subject: 'alice', groups: null, kind: 'human' } as unknown as Principal;
    expect(
      evaluate(policy, { principal: broken, target: 'warehouse', actions: [a('select', 'x')] }).effect,
    ).toBe('deny');
    expect(evaluate(policy, undefined as never).effect).toBe('deny');
    const forged: CompiledPolicy = { ...policy };
    const f = evaluate(forged, { principal: alice, target: 'warehouse', actions: [a('select', 'x')] });
    expect(f.effect).toBe('deny');
    expect(f.reasons[0]).toMatch(/^policy evaluation failed: not a compiled policy/);
  });
});

describe('evaluate: matching', () => {
  it('unknown is matched only by a rule naming it literally (never by *, globs or an absent field)', () => {
    const policy = policyOf([
      { id: 'all-star', effect: 'allow', when: { operations: ['*'] } },
      { id: 'all-absent', effect: 'allow', when: { subjects: ['alice'] } },
      { id: 'glob', effect: 'allow', when: { operations: ['u*', '!select'] } },
    ]);
    const d = evaluate(policy, { principal: alice, target: 'bastion', actions: [a('unknown', 'ls $X')] });
    expect(d.effect).toBe('deny');
    expect(d.reasons).toEqual(['no rule allows unknown ls $X on bastion']);

    const literal = policyOf([
      {
        id: 'unknown-ok',
        effect: 'review',
        when: { operations: ['unknown'] },
        review: { approvers: { groups: ['sre'] } },
      },
    ]);
    expect(evaluate(literal, { principal: alice, target: 'bastion', actions: [a('unknown')] }).effect).toBe(
      'review',
    );
    // …and a deny rule with * does not match unknown either: the literal rule decides.
    const both = policyOf([
      { id: 'deny-all', effect: 'deny', when: { operations: ['*'] } },
      { id: 'allow-unknown', effect: 'allow', when: { operations: ['unknown'] } },
    ]);
    expect(evaluate(both, { principal: alice, target: 'warehouse', actions: [a('unknown')] }).rules).toEqual([
      'allow-unknown',
    ]);
    expect(
      evaluate(both, { principal: alice, target: 'warehouse', actions: [a('select', 't')] }).effect,
    ).toBe('deny');
  });

  it('an operation outside the vocabulary matches nothing (fail closed)', () => {
    const policy = policyOf([{ id: 'everything', effect: 'allow' }]);
    expect(
      evaluate(policy, { principal: alice, target: 'warehouse', actions: [a('frobnicate')] }).effect,
    ).toBe('deny');
    expect(
      evaluate(policy, { principal: alice, target: 'warehouse', actions: [a('exec', 'ls')] }).effect,
    ).toBe('deny');
    expect(
      evaluate(policy, { principal: alice, target: 'warehouse', actions: [a('select', 'x')] }).effect,
    ).toBe('allow');
  });

  it('absent fields match anything; a rule with no when matches every known operation', () => {
    const policy = policyOf([{ id: 'open', effect: 'allow' }]);
    for (const [target, op] of [
      ['warehouse', 'drop'],
      ['bastion', 'exec'],
      ['prod-cluster', 'impersonate'],
    ] as const) {
      expect(
        evaluate(policy, {
          principal: { subject: 's', groups: [], kind: 'service' },
          target,
          actions: [a(op)],
        }).effect,
      ).toBe('allow');
    }
  });

  it.each<[string, Principal, boolean]>([
    ['subject literal', human('alice'), true],
    ['subject glob', human('carol@example.com'), true],
    ['other subject', human('mallory'), false],
  ])('subjects: %s', (_name, principal, expected) => {
    const policy = policyOf([{ id: 'r', effect: 'allow', when: { subjects: ['alice', '*@example.com'] } }]);
    expect(evaluate(policy, { principal, target: 'warehouse', actions: [a('select', 't')] }).effect).toBe(
      expected ? 'allow' : 'deny',
    );
  });

  it.each<[string, string[], boolean]>([
    ['one of several groups', ['sales', 'sre-oncall'], true],
    ['literal group', ['dba'], true],
    ['no group', [], false],
    ['non-matching groups', ['sre', 'dbas'], false],
  ])('groups: %s', (_name, groups, expected) => {
    const policy = policyOf([{ id: 'r', effect: 'allow', when: { groups: ['dba', 'sre-*'] } }]);
    expect(
      evaluate(policy, { principal: human('x', groups), target: 'warehouse', actions: [a('select', 't')] })
        .effect,
    ).toBe(expected ? 'allow' : 'deny');
  });

  it.each<[PrincipalKind, string | undefined, 'allow' | 'deny']>([
    ['agent', 'copilot', 'allow'],
    ['agent', 'copilot-v2', 'allow'],
    ['agent', 'other-bot', 'deny'],
    ['agent', undefined, 'deny'],
    ['human', 'copilot', 'deny'],
    ['service', 'copilot', 'deny'],
  ])('kinds [agent] + actors [copilot*]: kind %s actor %s → %s', (kind, actor, expected) => {
    const policy = policyOf([{ id: 'r', effect: 'allow', when: { kinds: ['agent'], actors: ['copilot*'] } }]);
    const principal: Principal = {
      subject: 'alice',
      groups: [],
      kind,
      ...(actor === undefined ? {} : { actor }),
    };
    expect(evaluate(policy, { principal, target: 'bastion', actions: [a('exec', 'ls')] }).effect).toBe(
      expected,
    );
  });

  it('a principal without an actor never matches a rule that has actors, even actors: ["*"]', () => {
    const policy = policyOf([
      { id: 'agents-denied', effect: 'deny', when: { actors: ['*'], operations: ['exec'] } },
      { id: 'ops', effect: 'allow', when: { groups: ['ops'] } },
    ]);
    const ops = human('alice', ['ops']);
    expect(evaluate(policy, { principal: ops, target: 'bastion', actions: [a('exec', 'ls')] }).effect).toBe(
      'allow',
    );
    expect(
      evaluate(policy, {
        principal: { ...ops, kind: 'agent', actor: 'bot' },
        target: 'bastion',
        actions: [a('exec', 'ls')],
      }).rules,
    ).toEqual(['agents-denied']);
  });

  it('an action without a resource never matches a rule that has resources', () => {
    const policy = policyOf([
      { id: 'deny-secrets', effect: 'deny', when: { resources: ['*secret*'] } },
      { id: 'allow-with-resource', effect: 'allow', when: { resources: ['*'] } },
      { id: 'shell', effect: 'allow', when: { operations: ['shell'] } },
    ]);
    expect(evaluate(policy, { principal: alice, target: 'bastion', actions: [a('shell')] }).rules).toEqual([
      'shell',
    ]);
    expect(evaluate(policy, { principal: alice, target: 'bastion', actions: [a('exec')] }).effect).toBe(
      'deny',
    );
    expect(
      evaluate(policy, { principal: alice, target: 'bastion', actions: [a('exec', 'cat /etc/secrets')] })
        .rules,
    ).toEqual(['deny-secrets']);
  });

  it('applies a rule spanning all targets only where the protocol has the operation', () => {
    const policy = policyOf([
      {
        id: 'deletes-reviewed',
        effect: 'review',
        when: { operations: ['delete', 'exec'] },
        review: { approvers: { groups: ['leads'] } },
      },
      { id: 'all', effect: 'allow', when: { operations: ['*'] } },
    ]);
    const on = (target: string, op: string, resource?: string) =>
      evaluate(policy, { principal: alice, target, actions: [a(op, resource)] }).effect;
    expect(on('warehouse', 'delete', 't')).toBe('review');
    expect(on('prod-cluster', 'delete', 'namespaces/p/pods/x')).toBe('review');
    expect(on('prod-cluster', 'exec', 'namespaces/p/pods/x/exec')).toBe('review');
    expect(on('bastion', 'exec', 'ls')).toBe('review');
    expect(on('bastion', 'write', '/tmp/x')).toBe('allow');
    expect(on('warehouse', 'select', 't')).toBe('allow');
  });

  it('uses flat globs for SQL and shell resources, path globs for Kubernetes', () => {
    const policy = policyOf([
      {
        id: 'no-rm-root',
        effect: 'deny',
        when: { targets: ['bastion'], resources: ['rm -rf /*', 'rm -fr /*'] },
      },
      {
        id: 'no-secrets',
        effect: 'deny',
        when: { targets: ['prod-cluster'], resources: ['namespaces/*/secrets/**'] },
      },
      { id: 'public-only', effect: 'allow', when: { targets: ['warehouse'], resources: ['public.*'] } },
      {
        id: 'pods',
        effect: 'allow',
        when: { targets: ['prod-cluster'], resources: ['namespaces/*/pods/*'] },
      },
      { id: 'any-command', effect: 'allow', when: { targets: ['bastion'], operations: ['exec'] } },
    ]);
    const on = (target: string, op: string, resource: string) =>
      evaluate(policy, { principal: alice, target, actions: [a(op, resource)] }).effect;
    expect(on('bastion', 'exec', 'rm -rf /var/lib/postgresql')).toBe('deny');
    expect(on('bastion', 'exec', 'rm -rf /')).toBe('deny');
    expect(on('bastion', 'exec', 'rm -rf ./build')).toBe('allow');
    expect(on('warehouse', 'select', 'public.users')).toBe('allow');
    expect(on('warehouse', 'select', 'public.a.b')).toBe('allow');
    expect(on('warehouse', 'select', 'users')).toBe('deny');
    expect(on('prod-cluster', 'get', 'namespaces/prod/pods/web-1')).toBe('allow');
    expect(on('prod-cluster', 'get', 'namespaces/prod/pods/web-1/log')).toBe('deny');
    expect(on('prod-cluster', 'get', 'namespaces/prod/secrets/db')).toBe('deny');
    expect(on('prod-cluster', 'list', 'namespaces/prod/secrets')).toBe('deny');
  });

  it('the same resource pattern uses each target protocol’s flavour', () => {
    const policy = policyOf([{ id: 'r', effect: 'allow', when: { resources: ['a/*'] } }]);
    expect(
      evaluate(policy, { principal: alice, target: 'bastion', actions: [a('exec', 'a/b/c')] }).effect,
    ).toBe('allow');
    expect(
      evaluate(policy, { principal: alice, target: 'prod-cluster', actions: [a('get', 'a/b/c')] }).effect,
    ).toBe('deny');
    expect(
      evaluate(policy, { principal: alice, target: 'prod-cluster', actions: [a('get', 'a/b')] }).effect,
    ).toBe('allow');
  });
});

describe('evaluate: reviews, masks and recording', () => {
  it('lists every matching review rule, across actions, once each', () => {
    const policy = policyOf([
      {
        id: 'r1',
        effect: 'review',
        when: { operations: ['update'] },
        review: { approvers: { groups: ['managers'] } },
      },
      {
        id: 'r2',
        effect: 'review',
        when: { resources: ['payroll*'] },
        review: { approvers: { subjects: ['cfo', 'ceo'] }, minApprovals: 2, ttl: '1h', grant: 'window' },
        reason: 'Payroll needs two executives',
      },
      { id: 'base', effect: 'allow' },
    ]);
    const d = evaluate(policy, {
      principal: alice,
      target: 'warehouse',
      actions: [a('update', 'payroll'), a('update', 'orders'), a('select', 'payroll_view')],
    });
    expect(d.effect).toBe('review');
    expect(d.rules).toEqual(['r1', 'r2']);
    expect(d.reasons).toEqual([
      'rule r1 requires review for update payroll on warehouse',
      'Payroll needs two executives',
      'rule r1 requires review for update orders on warehouse',
    ]);
    expect(d.review).toEqual([
      { ruleId: 'r1', approvers: { groups: ['managers'] }, minApprovals: 1, ttlMs: 1_800_000, grant: 'once' },
      {
        ruleId: 'r2',
        approvers: { subjects: ['cfo', 'ceo'] },
        minApprovals: 2,
        ttlMs: 3_600_000,
        grant: 'window',
        reason: 'Payroll needs two executives',
      },
    ]);
    expect(d.actions.map((x) => x.rules)).toEqual([['r1', 'r2'], ['r1'], ['r2']]);
  });

  it('a deny anywhere beats every review (no review requirements on a deny)', () => {
    const policy = policyOf([
      {
        id: 'rv',
        effect: 'review',
        when: { operations: ['update'] },
        review: { approvers: { groups: ['m'] } },
      },
      { id: 'dn', effect: 'deny', when: { operations: ['update'], resources: ['audit*'] } },
    ]);
    const d = evaluate(policy, {
      principal: alice,
      target: 'warehouse',
      actions: [a('update', 'audit_log')],
    });
    expect(d.effect).toBe('deny');
    expect(d.rules).toEqual(['dn']);
    expect(d.review).toBeUndefined();
  });

  it('chooses the mask of the first allow rule in file order that names one, else masking.default', () => {
    const masking = {
      default: 'basic',
      profiles: { basic: {}, strict: { detectors: ['all'] }, pii: { detectors: ['pii'] } },
    };
    const policy = policyOf(
      [
        { id: 'hr', effect: 'allow', when: { resources: ['hr.*'] }, mask: 'strict' },
        { id: 'people', effect: 'allow', when: { resources: ['*.people'] }, mask: 'pii' },
        { id: 'rest', effect: 'allow' },
      ],
      { masking },
    );
    const mask = (...resources: string[]) =>
      evaluate(policy, {
        principal: alice,
        target: 'warehouse',
        actions: resources.map((r) => a('select', r)),
      }).mask;
    expect(mask('hr.people')).toBe('strict');
    expect(mask('x.people', 'hr.salaries')).toBe('strict');
    expect(mask('x.people')).toBe('pii');
    expect(mask('orders')).toBe('basic');
    const noDefault = policyOf([{ id: 'rest', effect: 'allow' }]);
    expect(
      evaluate(noDefault, { principal: alice, target: 'warehouse', actions: [a('select', 't')] }).mask,
    ).toBeUndefined();
  });

  it('requires recording when the policy says so or a deciding rule has record: true', () => {
    const rules: PolicyRule[] = [
      { id: 'recorded', effect: 'allow', when: { targets: ['bastion'] }, record: true },
      { id: 'plain', effect: 'allow', when: { targets: ['warehouse'] } },
    ];
    const policy = policyOf(rules);
    const rec = (target: string, op: string) =>
      evaluate(policy, { principal: alice, target, actions: [a(op, 'x')] }).recordingRequired;
    expect(rec('bastion', 'exec')).toBe(true);
    expect(rec('warehouse', 'select')).toBe(false);
    const always = policyOf(rules, { recording: { required: true } });
    expect(
      evaluate(always, { principal: alice, target: 'warehouse', actions: [a('select', 'x')] })
        .recordingRequired,
    ).toBe(true);
  });
});

// A direct transcription of SPEC §4, deliberately naive: it re-reads the document on every call.
function referenceEffect(
  doc: PolicyDocument,
  principal: Principal,
  target: string,
  actions: readonly Action[],
): string {
  const protocol = doc.targets[target]?.protocol;
  if (protocol === undefined || actions.length === 0) return 'deny';
  const vocab = OPERATION_VOCABULARY;
  const any = (
    patterns: readonly string[] | undefined,
    value: string | undefined,
    flavour: 'flat' | 'path' = 'flat',
  ) =>
    patterns === undefined || (value !== undefined && patterns.some((p) => compileGlob(p, flavour)(value)));
  const effects = actions.map((action) => {
    const matching = (doc.rules ?? []).filter((r) => {
      const w = r.when ?? {};
      const opOk =
        action.operation === 'unknown'
          ? (w.operations ?? []).includes('unknown')
          : vocab[protocol].includes(action.operation) && any(w.operations, action.operation);
      return (
        opOk &&
        any(w.targets, target) &&
        any(w.subjects, principal.subject) &&
        any(w.kinds, principal.kind) &&
        any(w.actors, principal.actor) &&
        (w.groups === undefined || principal.groups.some((g) => any(w.groups, g))) &&
        any(w.resources, action.resource, protocol === 'kubernetes' ? 'path' : 'flat')
      );
    });
    if (matching.some((r) => r.effect === 'deny')) return 2;
    if (matching.some((r) => r.effect === 'review')) return 1;
    if (matching.some((r) => r.effect === 'allow')) return 0;
    return 2;
  });
  return ['allow', 'review', 'deny'][Math.max(...effects)]!;
}

describe('evaluate: agrees with a naive transcription of SPEC §4', () => {
  it('for random policies, principals and requests', () => {
    const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const list = (...xs: string[]) => maybe(fc.uniqueArray(pick(...xs), { minLength: 1, maxLength: 3 }));
    const when = fc.record({
      subjects: list('alice', 'bob', '*', 'a*'),
      groups: list('ops', 'dev', 'o*'),
      kinds: list('human', 'agent', '*'),
      actors: list('bot', '*'),
      targets: list('db', 'box', 'k8s', '*'),
      operations: list('select', 'drop', 'exec', 'get', 'delete', 'unknown', '*', 'd*'),
      resources: list('a', 'a/*', 'a/**', '*', 'public.*'),
    });
    const rule = fc.record({ effect: pick('allow', 'deny', 'review'), when });
    const policyArb = fc.array(rule, { maxLength: 6 });
    const principalArb = fc.record({
      subject: pick('alice', 'bob', 'carol'),
      groups: fc.uniqueArray(pick('ops', 'dev', 'other'), { maxLength: 2 }),
      kind: pick<PrincipalKind>('human', 'agent', 'service'),
      actor: maybe(pick('bot', 'other')),
    });
    const actionArb = fc.record({
      operation: pick('select', 'insert', 'drop', 'exec', 'write', 'get', 'delete', 'unknown'),
      resource: maybe(pick('a', 'a/b', 'a/b/c', 'public.x', 'b')),
    });
    fc.assert(
      fc.property(
        policyArb,
        principalArb,
        pick('db', 'box', 'k8s', 'none'),
        fc.array(actionArb, { maxLength: 3 }),
        (rules, p, target, acts) => {
          const clean = <T extends object>(o: T) =>
            Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
          const doc: PolicyDocument = {
            version: 1,
            targets: {
              db: { protocol: 'postgres' },
              box: { protocol: 'ssh' },
              k8s: { protocol: 'kubernetes' },
            },
            rules: rules.map((r, i): PolicyRule => ({
              id: `r${i}`,
              effect: r.effect as PolicyRule['effect'],
              when: clean(r.when) as PolicyWhen,
              ...(r.effect === 'review' ? { review: { approvers: { groups: ['x'] } } } : {}),
            })),
          };
          let policy: CompiledPolicy;
          try {
            policy = compilePolicy(doc);
          } catch {
            return; // a random rule can be invalid (e.g. `exec` on a postgres-only rule); that is tested elsewhere
          }
          const principal = clean(p) as Principal;
          const actions = acts.map((x) => clean(x) as Action);
          expect(evaluate(policy, { principal, target, actions }).effect).toBe(
            referenceEffect(doc, principal, target, actions),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

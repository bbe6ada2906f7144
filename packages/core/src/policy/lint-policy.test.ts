import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile-policy.js';
import { formatLintFinding, lintPolicy } from './lint-policy.js';
import { parsePolicy } from './load-policy.js';

const HEAD = `version: 1
targets:
  warehouse: { protocol: postgres }
  bastion: { protocol: ssh }
  prod-cluster: { protocol: kubernetes }
`;
const lint = (rules: string, extra = '') =>
  lintPolicy(parsePolicy(`${HEAD}${extra}rules:\n${rules}`, { file: 'p.yaml' })).map(formatLintFinding);

describe('lintPolicy', () => {
  it('finds nothing in a clean policy', () => {
    expect(
      lint(
        `  - id: read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
  - id: write
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [update] }
    review: { approvers: { groups: [managers] } }
`,
      ),
    ).toEqual([]);
  });

  it('warns about target globs that match nothing and rules that can never match', () => {
    expect(
      lint(`  - id: staging
    effect: allow
    when: { targets: ["staging-*"] }
`),
    ).toEqual([
      'p.yaml:7:5: warning: rule staging can never match: none of its operations apply to any target it names — check when.targets and when.operations [never-matches]',
      'p.yaml:9:23: warning: target pattern "staging-*" matches no defined target (warehouse, bastion, prod-cluster) [target-glob-matches-nothing]',
    ]);
  });

  it('warns about operations no defined target has', () => {
    const p = parsePolicy(`version: 1
targets: { db: { protocol: postgres } }
rules:
  - id: r
    effect: deny
    when: { operations: [drop, exec] }
`);
    expect(lintPolicy(p).map((f) => [f.check, f.path, f.line])).toEqual([
      ['operation-not-applicable', 'rules.0.when.operations.1', 6],
    ]);
  });

  it('finds rules shadowed by a broader deny or review', () => {
    expect(
      lint(`  - id: no-ddl
    effect: deny
    when: { operations: [drop, truncate] }
  - id: dba-drop
    effect: allow
    when: { groups: [dba], targets: [warehouse], operations: [drop] }
  - id: reviewed-writes
    effect: review
    when: { groups: ["*"], operations: [update, delete] }
    review: { approvers: { groups: [leads] } }
  - id: dev-updates
    effect: allow
    when: { groups: [dev], subjects: [alice, bob], targets: [warehouse], operations: [update], resources: ["public.*"] }
  - id: secrets
    effect: deny
    when: { targets: [prod-cluster], resources: ["namespaces/*/secrets/**"] }
  - id: read-prod-secrets
    effect: allow
    when: { targets: [prod-cluster], operations: [get], resources: ["namespaces/prod/secrets/db"] }
  - id: read-pods
    effect: allow
    when: { targets: [prod-cluster], operations: [get], resources: ["namespaces/*/pods/*"] }
`),
    ).toEqual([
      'p.yaml:10:5: warning: rule dba-drop never decides anything: every request it matches is also matched by deny rule no-ddl (rules[0]), so it is denied [shadowed-rule]',
      'p.yaml:17:5: warning: rule dev-updates never decides anything: every request it matches is also matched by review rule reviewed-writes (rules[2]), so it is sent to review [shadowed-rule]',
      'p.yaml:23:5: warning: rule read-prod-secrets never decides anything: every request it matches is also matched by deny rule secrets (rules[4]), so it is denied [shadowed-rule]',
    ]);
  });

  it('does not call a rule shadowed when the deny is narrower in any field', () => {
    expect(
      lint(`  - id: agents-no-drop
    effect: deny
    when: { kinds: [agent], operations: [drop] }
  - id: dba-drop
    effect: allow
    when: { groups: [dba], operations: [drop] }
  - id: no-unknown-star
    effect: deny
    when: { targets: [bastion], operations: ["*"] }
  - id: review-unknown
    effect: review
    when: { targets: [bastion], operations: [unknown] }
    review: { approvers: { groups: [sre] } }
  - id: bot-deny
    effect: deny
    when: { actors: ["*"], operations: [select] }
  - id: select
    effect: allow
    when: { operations: [select] }
`),
    ).toEqual([]);
  });

  it('warns about review rules nobody but the requester could approve', () => {
    expect(
      lint(`  - id: self
    effect: review
    when: { subjects: [alice], operations: [update] }
    review: { approvers: { subjects: [alice] } }
  - id: too-few
    effect: review
    when: { operations: [delete] }
    review: { approvers: { subjects: [carol, dave] }, minApprovals: 3 }
  - id: pair
    effect: review
    when: { subjects: [carol, erin], operations: [insert] }
    review: { approvers: { subjects: [carol, dave] }, minApprovals: 2 }
  - id: fine
    effect: review
    when: { subjects: [alice], operations: [merge] }
    review: { approvers: { subjects: [alice, bob] } }
`),
    ).toEqual([
      'p.yaml:10:26: warning: when alice asks, nobody of the approvers can approve (never the requester nor its actor), but 1 is needed [unapprovable-review]',
      'p.yaml:14:26: warning: rule too-few needs 3 approvals but lists only 2 approvers, so it can never be approved [unapprovable-review]',
      'p.yaml:18:26: warning: when carol asks, only 1 of the approvers can approve (never the requester nor its actor), but 2 are needed [unapprovable-review]',
    ]);
  });

  it('warns about duplicates, allowed unknown, unused profiles and actor rules for humans', () => {
    expect(
      lint(
        `  - id: a
    effect: allow
    when: { groups: [x, y], operations: [select] }
    mask: used
  - id: b
    effect: allow
    when: { operations: [select], groups: [y, x] }
  - id: c
    effect: allow
    when: { targets: [bastion], operations: [unknown], kinds: [human], actors: [bot] }
`,
        'masking: { profiles: { used: {}, spare: {} } }\n',
      ),
    ).toEqual([
      'p.yaml:6:41: info: masking profile "spare" is not used by any rule nor masking.default [unused-profile]',
      'p.yaml:12:5: warning: rule b has the same effect and conditions as rule a (rules[0]) — merge them [duplicate-rule]',
      'p.yaml:17:45: warning: rule c allows "unknown" actions (requests Portcullis could not classify); deny rules only match unknown when they name it — consider review instead [allows-unknown]',
      'p.yaml:17:80: info: rule c needs an actor but only matches kind human; principals with an actor are normally agents [actor-with-human-kind]',
    ]);
  });

  it('works on policies built in code (paths, no positions)', () => {
    const p = compilePolicy({ version: 1, targets: {}, rules: [] });
    expect(lintPolicy(p)).toEqual([
      {
        check: 'no-targets',
        severity: 'warning',
        message: 'no targets are defined, so every request is denied',
        path: 'targets',
      },
      {
        check: 'no-rules',
        severity: 'warning',
        message: 'the policy has no rules, so every request is denied',
        path: '',
      },
    ]);
    expect(() => lintPolicy({ ...p })).toThrow(TypeError);
  });

  it('warns when a policy reviews exec but allows attach, pod creation or ephemeral containers (Kubernetes)', () => {
    const found = lint(`  - id: exec-needs-review
    effect: review
    when: { groups: [sre], targets: [prod-cluster], operations: [exec], resources: ["namespaces/prod/pods/*/exec"] }
    review: { approvers: { groups: [managers] } }
  - id: attach-ok
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [attach] }
  - id: pods-ok
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [create, patch], resources: ["namespaces/*/pods", "namespaces/*/pods/*/ephemeralcontainers"] }
  - id: other-team
    effect: allow
    when: { groups: [devs], targets: [prod-cluster], operations: [attach] }
  - id: configmaps-ok
    effect: allow
    when: { groups: [sre], targets: [prod-cluster], operations: [create], resources: ["namespaces/*/configmaps"] }
`);
    const bypass = found.filter((f) => f.endsWith('[exec-review-bypassed]'));
    expect(bypass).toHaveLength(2);
    expect(bypass[0]).toMatch(/rule attach-ok allows attach \(kubectl attach, run -it\) on prod-cluster, while review rule exec-needs-review/);
    expect(bypass[1]).toMatch(/rule pods-ok allows creating pods \(kubectl run, debug node\), ephemeral containers \(kubectl debug\)/);
  });
});

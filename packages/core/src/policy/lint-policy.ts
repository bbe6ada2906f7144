import type { ReviewRequirement } from '../types.js';
import { internalsOf, type CompiledRule } from './compiled-rules.js';
import { compileGlobList, isLiteralPattern, type GlobFlavour } from './glob.js';
import type { DocPath } from './parse-source.js';
import { displayPath, dottedPath } from './policy-issues.js';
import type { CompiledPolicy, LintFinding, LintSeverity, PolicyWhen } from './policy-types.js';
import { OPERATION_VOCABULARY, PRINCIPAL_KINDS, UNKNOWN_OPERATION } from './vocabulary.js';

/**
 * Looks for rules that load fine but probably do not do what their author meant: rules that
 * can never match, rules shadowed by a broader deny (or review), review rules nobody but the
 * requester could approve, duplicates, and allow rules for `unknown`. Findings come in file
 * order, each with its position when the policy came from a file.
 *
 * Shadowing is a sound approximation: a finding means every request the rule matches is also
 * matched by the other rule; some shadowed rules (through unusual glob overlaps) go unreported.
 *
 * @example
 * ```ts
 * for (const f of lintPolicy(policy)) console.log(formatLintFinding(f));
 * ```
 * @throws {TypeError} when `policy` did not come from `parsePolicy`/`loadPolicyFile`/`compilePolicy`.
 */
export function lintPolicy(policy: CompiledPolicy): LintFinding[] {
  const internals = internalsOf(policy);
  const findings: LintFinding[] = [];
  const add = (
    check: string,
    severity: LintSeverity,
    path: DocPath,
    message: string,
    ruleId?: string,
  ): void => {
    const position = policy.locate(path);
    findings.push({
      check,
      severity,
      message,
      ...(ruleId === undefined ? {} : { ruleId }),
      path: dottedPath(path),
      ...(policy.file === undefined ? {} : { file: policy.file }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    });
  };
  const { rules } = internals;
  const targets = policy.targets;

  if (targets.size === 0)
    add('no-targets', 'warning', ['targets'], 'no targets are defined, so every request is denied');
  if (rules.length === 0)
    add('no-rules', 'warning', [], 'the policy has no rules, so every request is denied');

  for (const rule of rules) {
    const at = (...rest: (string | number)[]): DocPath => ['rules', rule.index, ...rest];
    const when: PolicyWhen = rule.source.when ?? {};

    for (const i of internals.emptyTargetGlobs.get(rule.index) ?? []) {
      add(
        'target-glob-matches-nothing',
        'warning',
        at('when', 'targets', i),
        `target pattern "${when.targets?.[i] ?? ''}" matches no defined target (${[...targets.keys()].join(', ') || 'none'})`,
        rule.id,
      );
    }

    if (rule.applies.size === 0 && targets.size > 0) {
      add(
        'never-matches',
        'warning',
        at(),
        `rule ${rule.id} can never match: none of its operations apply to any target it names — check when.targets and when.operations`,
        rule.id,
      );
    } else if (when.targets === undefined && when.operations !== undefined) {
      when.operations.forEach((op, i) => {
        if (!isLiteralPattern(op, 'flat') || op === UNKNOWN_OPERATION) return;
        const applies = [...targets.values()].some((t) => OPERATION_VOCABULARY[t.protocol].includes(op));
        if (!applies) {
          add(
            'operation-not-applicable',
            'warning',
            at('when', 'operations', i),
            `operation "${op}" applies to no defined target (no target speaks a protocol that has it)`,
            rule.id,
          );
        }
      });
    }

    if (
      rule.actors !== undefined &&
      rule.kinds !== undefined &&
      !rule.kinds('agent') &&
      rule.kinds('human')
    ) {
      add(
        'actor-with-human-kind',
        'info',
        at('when', 'actors'),
        `rule ${rule.id} needs an actor but only matches kind human; principals with an actor are normally agents`,
        rule.id,
      );
    }

    if (rule.effect === 'allow' && [...rule.applies.values()].some((ops) => ops.has(UNKNOWN_OPERATION))) {
      add(
        'allows-unknown',
        'warning',
        at('when', 'operations'),
        `rule ${rule.id} allows "unknown" actions (requests Portcullis could not classify); deny rules only match unknown when they name it — consider review instead`,
        rule.id,
      );
    }

    if (rule.effect === 'review' && rule.review !== undefined) {
      const problem = approvalProblem(rule, rule.review);
      if (problem !== undefined)
        add('unapprovable-review', 'warning', at('review', 'approvers'), problem, rule.id);
    }
  }

  // Shadowing: deny beats review and allow; review beats allow.
  for (const rule of rules) {
    if (rule.effect === 'deny' || rule.applies.size === 0) continue;
    const stronger = rules.find(
      (other) =>
        other !== rule &&
        (other.effect === 'deny' || (other.effect === 'review' && rule.effect === 'allow')) &&
        covers(other, rule, targets),
    );
    if (stronger !== undefined) {
      const outcome = stronger.effect === 'deny' ? 'denied' : 'sent to review';
      add(
        'shadowed-rule',
        'warning',
        ['rules', rule.index],
        `rule ${rule.id} never decides anything: every request it matches is also matched by ${stronger.effect} rule ${stronger.id} (${displayPath(['rules', stronger.index])}), so it is ${outcome}`,
        rule.id,
      );
    }
  }

  // Kubernetes: reviewing exec while allowing what opens the same interactive access.
  for (const finding of execBypasses(rules, targets)) {
    add('exec-review-bypassed', 'warning', ['rules', finding.rule.index], finding.message, finding.rule.id);
  }

  // Duplicates: same effect and the same conditions.
  const seen = new Map<string, CompiledRule>();
  for (const rule of rules) {
    const key = `${rule.effect}\u0000${normalizedWhen(rule.source.when ?? {})}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, rule);
    else {
      add(
        'duplicate-rule',
        'warning',
        ['rules', rule.index],
        `rule ${rule.id} has the same effect and conditions as rule ${first.id} (${displayPath(['rules', first.index])}) — merge them`,
        rule.id,
      );
    }
  }

  const used = new Set<string>(rules.flatMap((r) => (r.mask === undefined ? [] : [r.mask])));
  if (policy.masking.default !== undefined) used.add(policy.masking.default);
  for (const name of policy.masking.profiles.keys()) {
    if (!used.has(name)) {
      add(
        'unused-profile',
        'info',
        ['masking', 'profiles', name],
        `masking profile "${name}" is not used by any rule nor masking.default`,
      );
    }
  }

  findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return findings;
}

/**
 * One finding as a line: `file:line:column: severity: message [check]`.
 *
 * @example
 * ```ts
 * formatLintFinding(finding); // 'portcullis.yaml:12:5: warning: rule … [shadowed-rule]'
 * ```
 */
export function formatLintFinding(finding: LintFinding): string {
  const where = [finding.file ?? '<policy>', finding.line, finding.column]
    .filter((x) => x !== undefined)
    .join(':');
  return `${where}: ${finding.severity}: ${finding.message} [${finding.check}]`;
}

/** Why nobody but the requester (or too few people) could ever approve, when that is certain. */
function approvalProblem(rule: CompiledRule, review: ReviewRequirement): string | undefined {
  const approvers = review.approvers;
  if (approvers.groups !== undefined || approvers.subjects === undefined) return undefined;
  if (!approvers.subjects.every((s) => isLiteralPattern(s, 'flat'))) return undefined;
  const people = new Set(approvers.subjects);
  const need = review.minApprovals;
  if (people.size < need) {
    return `rule ${rule.id} needs ${need} approvals but lists only ${people.size} approver${people.size === 1 ? '' : 's'}, so it can never be approved`;
  }
  const when = rule.source.when ?? {};
  const requesters = when.subjects;
  if (requesters === undefined || !requesters.every((s) => isLiteralPattern(s, 'flat'))) return undefined;
  const actors =
    when.actors?.every((a) => isLiteralPattern(a, 'flat')) === true && when.actors.length === 1
      ? when.actors
      : [];
  for (const requester of requesters) {
    const eligible = [...people].filter((p) => p !== requester && !actors.includes(p));
    if (eligible.length < need) {
      return `when ${requester} asks, ${eligible.length === 0 ? 'nobody' : `only ${eligible.length}`} of the approvers can approve (never the requester nor its actor), but ${need} ${need === 1 ? 'is' : 'are'} needed`;
    }
  }
  return undefined;
}

/** Whether every request `weak` matches is also matched by `strong` (sound, not complete). */
function covers(strong: CompiledRule, weak: CompiledRule, targets: CompiledPolicy['targets']): boolean {
  for (const [target, ops] of weak.applies) {
    const strongOps = strong.applies.get(target);
    if (strongOps === undefined) return false;
    for (const op of ops) if (!strongOps.has(op)) return false;
  }
  const s = strong.source.when ?? {};
  const w = weak.source.when ?? {};
  if (!listCovers(s.subjects, w.subjects, 'flat')) return false;
  if (!listCovers(s.groups, w.groups, 'flat')) return false;
  if (!listCovers(s.actors, w.actors, 'flat')) return false;
  if (strong.kinds !== undefined) {
    for (const kind of PRINCIPAL_KINDS) if ((weak.kinds?.(kind) ?? true) && !strong.kinds(kind)) return false;
  }
  if (s.resources !== undefined) {
    const flavours = new Set<GlobFlavour>(
      [...weak.applies.keys()].map((t) => (targets.get(t)?.protocol === 'kubernetes' ? 'path' : 'flat')),
    );
    for (const flavour of flavours) if (!listCovers(s.resources, w.resources, flavour)) return false;
  }
  return true;
}

/** Whether list `strong` matches everything list `weak` matches (an absent list matches anything). */
function listCovers(
  strong: readonly string[] | undefined,
  weak: readonly string[] | undefined,
  flavour: GlobFlavour,
): boolean {
  if (strong === undefined) return true;
  if (weak === undefined) return false;
  if (strong.some((p) => isUniversal(p, flavour))) return true;
  const matcher = compileGlobList(strong, flavour);
  return weak.every((p) => strong.includes(p) || (isLiteralPattern(p, flavour) && matcher(p)));
}

function isUniversal(pattern: string, flavour: GlobFlavour): boolean {
  return flavour === 'flat' ? /^\*+$/.test(pattern) : pattern === '**';
}

function normalizedWhen(when: PolicyWhen): string {
  const keys = Object.keys(when).sort() as (keyof PolicyWhen)[];
  return JSON.stringify(keys.map((k) => [k, [...new Set(when[k])].sort()]));
}

/**
 * Allow rules that open a pod as interactively as `exec` on a Kubernetes target where a review
 * (or deny) rule holds `exec` back for the same principals: `attach` (kubectl attach, run -it),
 * creating pods (kubectl run, debug node) and patching ephemeral containers (kubectl debug). A
 * sample-based check: each allow rule is tried on pod resources in `default` and in the
 * namespaces the exec rule names literally.
 */
function execBypasses(
  rules: readonly CompiledRule[],
  targets: CompiledPolicy['targets'],
): { rule: CompiledRule; message: string }[] {
  const out: { rule: CompiledRule; message: string }[] = [];
  for (const [name, target] of targets) {
    if (target.protocol !== 'kubernetes') continue;
    const holders = rules.filter((r) => r.effect !== 'allow' && r.applies.get(name)?.has('exec') === true);
    for (const holder of holders) {
      const namespaces = new Set(['default']);
      for (const pattern of holder.source.when?.resources ?? []) {
        const literal = /^namespaces\/([a-z0-9][-a-z0-9.]*)\//.exec(pattern);
        if (literal?.[1] !== undefined) namespaces.add(literal[1]);
      }
      for (const rule of rules) {
        if (rule.effect !== 'allow' || !mayShareRequesters(rule, holder)) continue;
        const ops = rule.applies.get(name);
        if (ops === undefined) continue;
        const matches = (resource: string): boolean => rule.resourcesPath === undefined || rule.resourcesPath(resource);
        const opened: string[] = [];
        for (const ns of namespaces) {
          if (ops.has('attach') && matches(`namespaces/${ns}/pods/p/attach`)) opened.push('attach (kubectl attach, run -it)');
          if (ops.has('create') && matches(`namespaces/${ns}/pods`)) opened.push('creating pods (kubectl run, debug node)');
          if ((ops.has('patch') || ops.has('update')) && matches(`namespaces/${ns}/pods/p/ephemeralcontainers`)) {
            opened.push('ephemeral containers (kubectl debug)');
          }
        }
        if (opened.length === 0) continue;
        out.push({
          rule,
          message: `rule ${rule.id} allows ${[...new Set(opened)].join(', ')} on ${name}, while ${holder.effect} rule ${holder.id} (${displayPath(['rules', holder.index])}) holds exec back: these give the same interactive access to a pod — give them the same effect as exec`,
        });
      }
    }
  }
  return out;
}

/** Whether some principal could match both rules (false only when literal subject or group lists are disjoint). */
function mayShareRequesters(a: CompiledRule, b: CompiledRule): boolean {
  for (const field of ['subjects', 'groups'] as const) {
    const x = a.source.when?.[field];
    const y = b.source.when?.[field];
    if (x === undefined || y === undefined) continue;
    if (!x.every((p) => isLiteralPattern(p, 'flat')) || !y.every((p) => isLiteralPattern(p, 'flat'))) continue;
    if (!x.some((p) => y.includes(p))) return false;
  }
  return true;
}

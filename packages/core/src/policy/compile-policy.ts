import { isAbsolute, resolve } from 'node:path';
import type {
  IdentityConfig,
  JwksSource,
  MaskingProfileConfig,
  Protocol,
  ReviewRequirement,
  Target,
} from '../types.js';
import {
  isPathProtocol,
  registerInternals,
  type CompiledRule,
  type PolicyInternals,
  type TargetIndex,
} from './compiled-rules.js';
import { listDetectors } from '../mask/list-detectors.js';
import { didYouMeanHint } from './did-you-mean.js';
import { durationSeconds } from './duration.js';
import {
  compileGlob,
  compileGlobList,
  compileGlobPrefixes,
  GlobSyntaxError,
  isLiteralPattern,
  type GlobFlavour,
  type Matcher,
} from './glob.js';
import type { DocPath, Locator } from './parse-source.js';
import { fromZodIssues, policyError, type RawIssue } from './policy-issues.js';
import type {
  CompiledPolicy,
  PolicyDocument,
  PolicyRule,
  PolicyWhen,
  SourcePosition,
} from './policy-types.js';
import { policySchema } from './schema.js';
import { OPERATION_VOCABULARY, PRINCIPAL_KINDS, PROTOCOLS, UNKNOWN_OPERATION } from './vocabulary.js';
import { deepFreeze } from '../deep-freeze.js';

/** Options of {@link compilePolicy}. */
export interface CompilePolicyOptions {
  /** The file the document came from, for messages. */
  readonly file?: string;
  /** Where `hmacSecret: { env: NAME }` is looked up (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** The folder relative `identity.jwks.file` paths are resolved against (default: left relative). */
  readonly baseDir?: string;
  /**
   * Leave `hmacSecret` out of the identity configuration when its variable is unset, instead
   * of failing (HMAC tokens are then rejected). For tools that never verify tokens, such as
   * `portcullis lint` and `portcullis test`.
   */
  readonly ignoreMissingSecrets?: boolean;
}

/** The review ttl when a rule gives none. */
export const DEFAULT_REVIEW_TTL = '30m';

/**
 * Validates a policy document built in code and compiles it into matchers (every glob is
 * compiled once, here). The same checks as for files apply; issues carry paths but no lines.
 *
 * @example
 * ```ts
 * const policy = compilePolicy({
 *   version: 1,
 *   targets: { warehouse: { protocol: 'postgres' } },
 *   rules: [{ id: 'read', effect: 'allow', when: { groups: ['analysts'], operations: ['select'] } }],
 * });
 * ```
 * @throws {PolicyError} (`ERR_POLICY_INVALID`) listing every problem found.
 */
export function compilePolicy(document: PolicyDocument, options: CompilePolicyOptions = {}): CompiledPolicy {
  return compilePolicyValue(document, options, undefined);
}

/** {@link compilePolicy} for a value of unknown shape, with a locator for file positions. Internal. */
export function compilePolicyValue(
  value: unknown,
  options: CompilePolicyOptions,
  locate: Locator | undefined,
): CompiledPolicy {
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) throw policyError(fromZodIssues(parsed.error.issues, value), options.file, locate);
  // Zod's strict parse returns a fresh object and omits absent keys, so this is the document shape.
  const document = parsed.data as unknown as PolicyDocument;
  const issues: RawIssue[] = [];

  const targets = new Map<string, Target>();
  for (const [name, t] of Object.entries(document.targets))
    targets.set(name, Object.freeze({ name, protocol: t.protocol }));

  const profiles = new Map<string, MaskingProfileConfig>(Object.entries(document.masking?.profiles ?? {}));
  checkDetectorNames(profiles, issues);
  const maskDefault = document.masking?.default;
  if (maskDefault !== undefined && !profiles.has(maskDefault)) {
    issues.push({ path: ['masking', 'default'], message: unknownProfile(maskDefault, profiles) });
  }

  const identity = document.identity === undefined ? undefined : compileIdentity(document, options, issues);

  const rules: CompiledRule[] = [];
  const emptyTargetGlobs = new Map<number, number[]>();
  const ids = new Map<string, number>();
  (document.rules ?? []).forEach((rule, index) => {
    const previous = ids.get(rule.id);
    if (previous === undefined) ids.set(rule.id, index);
    else {
      issues.push({
        path: ['rules', index, 'id'],
        message: `rule id "${rule.id}" is already used by rules[${previous}] — rule ids must be unique; rename one`,
      });
    }
    const compiled = compileRule(rule, index, targets, profiles, issues, emptyTargetGlobs);
    if (compiled !== undefined) rules.push(compiled);
  });

  if (issues.length > 0) throw policyError(issues, options.file, locate);

  const index = buildIndex(targets, rules);
  const recordingRequired = document.recording?.required ?? false;
  const frozenDocument = deepFreeze(document);
  const policy: CompiledPolicy = Object.freeze({
    document: frozenDocument,
    ...(options.file === undefined ? {} : { file: options.file }),
    targets,
    ...(identity === undefined ? {} : { identity }),
    masking: Object.freeze({ profiles, ...(maskDefault === undefined ? {} : { default: maskDefault }) }),
    recordingRequired,
    ruleIds: Object.freeze(rules.map((r) => r.id)),
    locate: (path: string | DocPath): SourcePosition | undefined =>
      locate?.(typeof path === 'string' ? splitDotted(path) : path),
  });
  const internals: PolicyInternals = {
    rules,
    targets: index,
    recordingRequired,
    maskDefault,
    emptyTargetGlobs,
  };
  registerInternals(policy, internals);
  return policy;
}

function compileRule(
  rule: PolicyRule,
  index: number,
  targets: ReadonlyMap<string, Target>,
  profiles: ReadonlyMap<string, MaskingProfileConfig>,
  issues: RawIssue[],
  emptyTargetGlobs: Map<number, number[]>,
): CompiledRule | undefined {
  const at = (...rest: (string | number)[]): DocPath => ['rules', index, ...rest];
  const before = issues.length;

  if (rule.effect === 'review' && rule.review === undefined) {
    issues.push({
      path: at(),
      message: 'a review rule needs review: { approvers: { groups: [ … ] } } — say who may approve',
    });
  }
  if (rule.effect !== 'review' && rule.review !== undefined) {
    issues.push({
      path: at('review'),
      key: true,
      message: `review only applies to rules with effect: review — remove it, or change effect from ${rule.effect} to review`,
    });
  }
  if (rule.mask !== undefined) {
    if (rule.effect !== 'allow') {
      issues.push({
        path: at('mask'),
        key: true,
        message: `mask only applies to rules with effect: allow (masking applies to results a request returns) — remove it`,
      });
    } else if (!profiles.has(rule.mask)) {
      issues.push({ path: at('mask'), message: unknownProfile(rule.mask, profiles) });
    }
  }
  if (rule.record !== undefined && rule.effect === 'deny') {
    issues.push({
      path: at('record'),
      key: true,
      message: 'record only applies to allow and review rules (a denied request never runs) — remove it',
    });
  }

  const when: PolicyWhen = rule.when ?? {};
  const flat = (field: keyof PolicyWhen, flavour: GlobFlavour = 'flat'): Matcher | undefined =>
    compileField(when[field], flavour, at('when', field), issues);

  // kinds: a pattern that matches none of the three kinds is a typo, not a rule.
  when.kinds?.forEach((pattern, i) => {
    const m = safeGlob(pattern, 'flat');
    if (m !== undefined && !PRINCIPAL_KINDS.some((k) => m(k))) {
      issues.push({
        path: at('when', 'kinds', i),
        message: `unknown kind "${pattern}"${didYouMeanHint(pattern, PRINCIPAL_KINDS) || ' — kinds are human, agent and service'}`,
      });
    }
  });

  // targets: a literal name must be defined; a glob matching nothing is left to lint.
  let matchedTargets: string[];
  if (when.targets === undefined) matchedTargets = [...targets.keys()];
  else {
    const matched = new Set<string>();
    when.targets.forEach((pattern, i) => {
      if (isLiteralPattern(pattern, 'flat')) {
        if (targets.has(pattern)) matched.add(pattern);
        else {
          issues.push({
            path: at('when', 'targets', i),
            message: `unknown target "${pattern}"${didYouMeanHint(pattern, targets.keys()) || ` — define it under targets:${targetList(targets)}`}`,
          });
        }
        return;
      }
      const m = globOrIssue(pattern, 'flat', at('when', 'targets', i), issues);
      if (m === undefined) return;
      let any = false;
      for (const name of targets.keys()) {
        if (m(name)) {
          matched.add(name);
          any = true;
        }
      }
      if (!any) emptyTargetGlobs.set(index, [...(emptyTargetGlobs.get(index) ?? []), i]);
    });
    matchedTargets = [...targets.keys()].filter((n) => matched.has(n));
  }

  // operations: checked against the vocabularies of the protocols this rule can reach.
  const targetIssues = issues.length > before;
  const scope: Protocol[] =
    when.targets === undefined || matchedTargets.length === 0 || targetIssues
      ? [...PROTOCOLS]
      : PROTOCOLS.filter((p) => matchedTargets.some((n) => targets.get(n)?.protocol === p));
  const scopeNames = scopeDescription(
    scope,
    when.targets === undefined || targetIssues ? undefined : matchedTargets,
  );
  const opMatchers: (Matcher | string)[] = [];
  when.operations?.forEach((pattern, i) => {
    const path = at('when', 'operations', i);
    if (isLiteralPattern(pattern, 'flat')) {
      opMatchers.push(pattern);
      if (scope.some((p) => OPERATION_VOCABULARY[p].includes(pattern))) return;
      const elsewhere = PROTOCOLS.filter(
        (p) => !scope.includes(p) && OPERATION_VOCABULARY[p].includes(pattern),
      );
      const vocab = scope.flatMap((p) => OPERATION_VOCABULARY[p]);
      const hint = didYouMeanHint(pattern, vocab);
      issues.push({
        path,
        message:
          elsewhere.length > 0
            ? `operation "${pattern}" does not apply to ${scopeNames} — it is ${elsewhere.join('/')} vocabulary${hint || `; use one of: ${unique(vocab).join(', ')}`}`
            : `unknown operation "${pattern}" for ${scopeNames}${hint || ` — see docs/policy.md for the operations of each protocol`}`,
      });
      return;
    }
    const m = globOrIssue(pattern, 'flat', path, issues);
    if (m === undefined) return;
    opMatchers.push(m);
    const vocab = unique(scope.flatMap((p) => OPERATION_VOCABULARY[p])).filter(
      (op) => op !== UNKNOWN_OPERATION,
    );
    if (!vocab.some((op) => m(op))) {
      issues.push({
        path,
        message: m(UNKNOWN_OPERATION)
          ? `operation pattern "${pattern}" matches no operation of ${scopeNames}: a pattern never matches unknown — write unknown literally`
          : `operation pattern "${pattern}" matches no operation of ${scopeNames} — the operations are: ${vocab.join(', ')}`,
      });
    }
  });

  const subjects = flat('subjects');
  const groups = flat('groups');
  const kinds = flat('kinds');
  const actors = flat('actors');
  const protocols = new Set(matchedTargets.flatMap((n) => targets.get(n)?.protocol ?? []));
  const needFlat =
    when.resources !== undefined &&
    (protocols.has('postgres') || protocols.has('ssh') || protocols.size === 0);
  const beforeResources = issues.length;
  const resourcesFlat = needFlat ? flat('resources') : undefined;
  // The same patterns asked about a directory written into (they compiled: no new issue). Only
  // shell writes name directories so; a rule on postgres targets alone needs none.
  const resourcesUnder =
    resourcesFlat !== undefined &&
    when.resources !== undefined &&
    (protocols.has('ssh') || protocols.size === 0)
      ? compileGlobPrefixes(when.resources, 'flat')
      : undefined;
  // One report per bad pattern, even when it is compiled in both flavours.
  const resourcesPath =
    when.resources !== undefined && protocols.has('kubernetes') && issues.length === beforeResources
      ? flat('resources', 'path')
      : undefined;

  let review: ReviewRequirement | undefined;
  if (rule.effect === 'review' && rule.review !== undefined) {
    const r = rule.review;
    review = Object.freeze({
      ruleId: rule.id,
      approvers: Object.freeze({
        ...(r.approvers.subjects === undefined ? {} : { subjects: Object.freeze([...r.approvers.subjects]) }),
        ...(r.approvers.groups === undefined ? {} : { groups: Object.freeze([...r.approvers.groups]) }),
      }),
      minApprovals: r.minApprovals ?? 1,
      ttlMs: Math.round(durationSeconds(r.ttl ?? DEFAULT_REVIEW_TTL) * 1000),
      grant: r.grant ?? 'once',
      ...(rule.reason === undefined ? {} : { reason: rule.reason }),
    });
    if (review.ttlMs <= 0) {
      issues.push({
        path: at('review', 'ttl'),
        message: 'ttl must be longer than zero — an approval must be usable',
      });
    }
  }

  if (issues.length > before) return undefined;

  const applies = new Map<string, ReadonlySet<string>>();
  for (const name of matchedTargets) {
    const protocol = targets.get(name)?.protocol;
    if (protocol === undefined) continue;
    const ops = new Set<string>();
    for (const op of OPERATION_VOCABULARY[protocol]) {
      if (when.operations === undefined) {
        if (op !== UNKNOWN_OPERATION) ops.add(op);
        continue;
      }
      for (const m of opMatchers) {
        // docs/policy.md: only a literal `unknown` matches `unknown`; no glob does.
        if (typeof m === 'string' ? m === op : op !== UNKNOWN_OPERATION && m(op)) {
          ops.add(op);
          break;
        }
      }
    }
    if (ops.size > 0) applies.set(name, ops);
  }

  return {
    index,
    id: rule.id,
    effect: rule.effect,
    source: rule,
    reason: rule.reason,
    subjects,
    groups,
    kinds,
    actors,
    resourcesFlat,
    resourcesUnder,
    resourcesPath,
    hasResources: when.resources !== undefined,
    review,
    mask: rule.mask,
    record: rule.record === true,
    applies,
    matchedTargets,
  };
}

function buildIndex(
  targets: ReadonlyMap<string, Target>,
  rules: readonly CompiledRule[],
): Map<string, TargetIndex> {
  const index = new Map<string, TargetIndex>();
  for (const [name, target] of targets) {
    const byOperation = new Map<
      string,
      { deny: CompiledRule[]; review: CompiledRule[]; allow: CompiledRule[] }
    >();
    for (const rule of rules) {
      const ops = rule.applies.get(name);
      if (ops === undefined) continue;
      for (const op of ops) {
        let buckets = byOperation.get(op);
        if (buckets === undefined) {
          buckets = { deny: [], review: [], allow: [] };
          byOperation.set(op, buckets);
        }
        buckets[rule.effect].push(rule);
      }
    }
    index.set(name, {
      target,
      path: isPathProtocol(target.protocol),
      byOperation,
    });
  }
  return index;
}

function compileIdentity(
  document: PolicyDocument,
  options: CompilePolicyOptions,
  issues: RawIssue[],
): IdentityConfig {
  const id = document.identity;
  if (id === undefined) throw new TypeError('compileIdentity: no identity section');
  const out: { -readonly [K in keyof IdentityConfig]?: IdentityConfig[K] } = { audience: id.audience };
  const keysAt = (jwks: JwksSource): JwksSource =>
    'file' in jwks && options.baseDir !== undefined && !isAbsolute(jwks.file)
      ? { file: resolve(options.baseDir, jwks.file) }
      : jwks;
  if (id.issuer !== undefined) out.issuer = id.issuer;
  if (id.issuers !== undefined) {
    out.issuers = id.issuers.map((entry) => ({ issuer: entry.issuer, jwks: keysAt(entry.jwks) }));
  }
  if (id.jwks !== undefined) out.jwks = keysAt(id.jwks);
  if (id.algorithms !== undefined) out.algorithms = id.algorithms;
  if (id.subjectClaim !== undefined) out.subjectClaim = id.subjectClaim;
  if (id.groupsClaim !== undefined) out.groupsClaim = id.groupsClaim;
  if (id.kindClaim !== undefined) out.kindClaim = id.kindClaim;
  if (id.defaultKind !== undefined) out.defaultKind = id.defaultKind;
  // Durations are handed on as seconds so every consumer reads them the same way.
  if (id.maxTokenAge !== undefined) out.maxTokenAge = durationSeconds(id.maxTokenAge);
  if (id.clockTolerance !== undefined) out.clockTolerance = durationSeconds(id.clockTolerance);
  if (id.maxTokenBytes !== undefined) out.maxTokenBytes = id.maxTokenBytes;
  if (id.dpop !== undefined) {
    out.dpop = {
      ...(id.dpop.required === undefined ? {} : { required: id.dpop.required }),
      ...(id.dpop.maxAge === undefined ? {} : { maxAge: durationSeconds(id.dpop.maxAge) }),
    };
  }
  if (id.hmacSecret !== undefined) {
    const name = id.hmacSecret.env;
    const secret = (options.env ?? process.env)[name];
    if (secret !== undefined && secret !== '') out.hmacSecret = secret;
    else if (options.ignoreMissingSecrets !== true) {
      issues.push({
        path: ['identity', 'hmacSecret', 'env'],
        message: `environment variable ${name} is not set (or empty) — set it to the HMAC secret before loading the policy, or remove hmacSecret`,
      });
    }
  }
  return Object.freeze(out as IdentityConfig);
}

function compileField(
  patterns: readonly string[] | undefined,
  flavour: GlobFlavour,
  path: DocPath,
  issues: RawIssue[],
): Matcher | undefined {
  if (patterns === undefined) return undefined;
  let ok = true;
  for (const [i, p] of patterns.entries()) {
    if (globOrIssue(p, flavour, [...path, i], issues) === undefined) ok = false;
  }
  return ok ? compileGlobList(patterns, flavour) : undefined;
}

function globOrIssue(
  pattern: string,
  flavour: GlobFlavour,
  path: DocPath,
  issues: RawIssue[],
): Matcher | undefined {
  try {
    return compileGlob(pattern, flavour);
  } catch (err) {
    if (!(err instanceof GlobSyntaxError)) throw err;
    issues.push({ path, message: `invalid pattern "${pattern}": ${err.message}` });
    return undefined;
  }
}

function safeGlob(pattern: string, flavour: GlobFlavour): Matcher | undefined {
  try {
    return compileGlob(pattern, flavour);
  } catch {
    return undefined; // reported by compileField
  }
}

/** The words a profile's `detectors` list accepts besides detector ids. */
const DETECTOR_CATEGORIES = ['secrets', 'pii', 'all'];

/**
 * Every name in a profile's `detectors` must be a category or a built-in detector id: a typo
 * would otherwise silently drop a detector and let that kind of secret through.
 */
function checkDetectorNames(profiles: ReadonlyMap<string, MaskingProfileConfig>, issues: RawIssue[]): void {
  const known = new Set([...DETECTOR_CATEGORIES, ...listDetectors().map((d) => d.id)]);
  for (const [name, profile] of profiles) {
    (profile.detectors ?? []).forEach((detector, index) => {
      if (known.has(detector)) return;
      const hint = didYouMeanHint(detector, known);
      issues.push({
        path: ['masking', 'profiles', name, 'detectors', index],
        message: `unknown detector "${detector}"${hint || ' — use secrets, pii, all, or a detector id (portcullis mask --list-detectors)'}`,
      });
    });
  }
}

function unknownProfile(name: string, profiles: ReadonlyMap<string, unknown>): string {
  const hint = didYouMeanHint(name, profiles.keys());
  const defined = profiles.size === 0 ? 'none are defined' : `defined: ${[...profiles.keys()].join(', ')}`;
  return `masking profile "${name}" is not defined${hint || ` — define it under masking.profiles (${defined})`}`;
}

function targetList(targets: ReadonlyMap<string, Target>): string {
  return targets.size === 0 ? ' (none are defined)' : ` (defined: ${[...targets.keys()].join(', ')})`;
}

function scopeDescription(scope: readonly Protocol[], matched: readonly string[] | undefined): string {
  if (matched === undefined || matched.length === 0) return 'any protocol';
  const shown = matched.length > 3 ? `${matched.slice(0, 3).join(', ')}, …` : matched.join(', ');
  return `${scope.join('/')} targets (${shown})`;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function splitDotted(path: string): DocPath {
  return path === '' ? [] : path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

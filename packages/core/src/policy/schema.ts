import { z } from 'zod';
import { DURATION_TEXT } from '../identity/duration.js';

/**
 * The shape of a policy file (docs/ §4, version 1) as a zod schema. Every object is strict:
 * an unknown key is an error, because a misspelt key must not silently do nothing. Semantic
 * checks (rule ids, operations per protocol, target names, profile names) happen in
 * `compile-policy.ts`; this file only says what is well-formed, and is what `portcullis schema`
 * prints as JSON Schema.
 */

/**
 * A duration: seconds, or one or more numbers with a unit (`500ms`, `90s`, `30m`, `1h`, `2d`,
 * `1w`, `1h30m`): the same form `parseDurationSeconds` reads, so docs and loader agree.
 */
export const DURATION_PATTERN = DURATION_TEXT;

/** Environment variable names accepted by `hmacSecret: { env: NAME }`. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Target names: no whitespace and none of the characters globs give meaning to. */
export const TARGET_NAME_PATTERN = /^[^\s*?[\]{}()!,|+@\\]+$/;

const DURATION_ERROR =
  'expected a duration: seconds, or numbers with units such as 90s, 30m, 1h, 2d, 1w or 1h30m';
const duration = z
  .union(
    [
      z.number({ error: DURATION_ERROR }).nonnegative({ error: DURATION_ERROR }),
      z.string({ error: DURATION_ERROR }).regex(DURATION_PATTERN, { error: DURATION_ERROR }),
    ],
    { error: DURATION_ERROR },
  )
  .meta({ description: 'Seconds, or numbers with units: 500ms, 90s, 30m, 1h, 2d, 1w, 1h30m.' });

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

const glob = z.string().min(1, { error: 'a pattern cannot be empty' });

const globList = (what: string) =>
  z
    .array(glob)
    .min(1, {
      error:
        'an empty list matches nothing — remove the field to match anything, or list at least one pattern',
    })
    .meta({ description: `${what}. A list of globs; the field matches when any pattern matches.` });

const stringOrList = z.union([nonEmpty, z.array(nonEmpty).min(1)], {
  error: 'expected a string or a non-empty list of strings',
});

const maskStyle = z.enum(['redact', 'partial', 'hash', 'keep']);

const when = z
  .strictObject({
    subjects: globList("The principal's subject"),
    groups: globList("Any of the principal's groups"),
    kinds: globList("The principal's kind: human, agent or service"),
    actors: globList(
      "The principal's actor (an agent acting for the subject); a principal without one never matches",
    ),
    targets: globList('The target name'),
    operations: globList(
      'The action operation (docs/classification.md vocabulary of the target protocol); `unknown` only matches when written literally',
    ),
    resources: globList('The action resource; an action without a resource never matches'),
  })
  .partial()
  .meta({ description: 'Every present field must match; an absent field matches anything.' });

const review = z
  .strictObject({
    approvers: z
      .strictObject({ subjects: globList('Approver subjects'), groups: globList('Approver groups') })
      .partial()
      .refine((a) => a.subjects !== undefined || a.groups !== undefined, {
        error: 'approvers must name subjects or groups (or both)',
      })
      .meta({ description: 'Who may approve. Never the requesting subject nor its actor.' }),
    minApprovals: z
      .int({ error: 'expected a whole number of at least 1' })
      .min(1, { error: 'expected a whole number of at least 1' })
      .optional()
      .meta({ description: 'Distinct people needed (default 1).' }),
    ttl: duration.optional().meta({ description: 'How long an approval can be used (default 30m).' }),
    grant: z.enum(['once', 'window']).optional().meta({
      description:
        'once (default): the approval runs the exact request one time; window: the same request may run again until ttl ends.',
    }),
  })
  .meta({ description: 'Only with effect: review.' });

const rule = z.strictObject({
  id: nonEmpty.meta({ description: 'Unique rule id, shown in decisions.' }),
  effect: z.enum(['allow', 'deny', 'review']),
  when: when.optional(),
  reason: nonEmpty.optional().meta({ description: 'Shown to people in decisions and errors.' }),
  review: review.optional(),
  mask: nonEmpty
    .optional()
    .meta({ description: 'Only with effect: allow. A masking profile defined under masking.profiles.' }),
  record: z
    .boolean()
    .optional()
    .meta({ description: 'Only with allow or review: the request may only run if it can be recorded.' }),
});

const jwks = z
  .union(
    [
      z.strictObject({ file: nonEmpty.meta({ description: 'A JWKS file, relative to the policy file.' }) }),
      z.strictObject({
        uri: z.string().regex(/^https?:\/\/\S+$/, { error: 'expected an http(s) URL' }),
      }),
      z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())) }),
    ],
    { error: 'jwks must be exactly one of { file: PATH }, { uri: URL } or { keys: [ … ] }' },
  )
  .meta({ description: 'Where verification keys come from: exactly one of file, uri or keys.' });

const issuerKeys = z
  .strictObject({ issuer: nonEmpty.meta({ description: 'The exact iss value.' }), jwks })
  .meta({ description: 'One accepted issuer and the only keys its tokens are verified with.' });

const identity = z
  .strictObject({
    issuer: stringOrList
      .optional()
      .meta({ description: 'The accepted iss value (verified with jwks). For several issuers use issuers.' }),
    issuers: z
      .array(issuerKeys)
      .min(1)
      .optional()
      .meta({ description: 'Several accepted issuers, each with its own jwks.' }),
    audience: stringOrList.meta({ description: 'Accepted aud value(s).' }),
    jwks: jwks.optional(),
    algorithms: z
      .array(nonEmpty)
      .min(1)
      .refine((a) => !a.some((x) => x.toLowerCase() === 'none'), {
        error: '"none" is never accepted — remove it',
      })
      .optional(),
    hmacSecret: z
      .strictObject(
        {
          env: z.string().regex(ENV_NAME_PATTERN, {
            error: 'expected an environment variable name such as PORTCULLIS_HMAC_SECRET',
          }),
        },
        {
          error:
            'write hmacSecret as { env: NAME } — a secret never goes in a policy file; put it in an environment variable and name that variable here',
        },
      )
      .optional()
      .meta({ description: 'The environment variable holding the HS256/384/512 secret.' }),
    subjectClaim: nonEmpty.optional(),
    groupsClaim: nonEmpty.optional().meta({ description: 'Dotted path, e.g. realm_access.roles.' }),
    kindClaim: nonEmpty.optional(),
    defaultKind: z.enum(['human', 'agent', 'service']).optional(),
    maxTokenAge: duration.optional(),
    clockTolerance: duration.optional(),
    maxTokenBytes: z.int().positive().optional(),
    dpop: z.strictObject({ required: z.boolean().optional(), maxAge: duration.optional() }).optional(),
  })
  .superRefine((id, ctx) => {
    // One key source per issuer: a key set trusted for two issuers lets either sign for the other.
    if ((id.issuer === undefined) === (id.issuers === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: id.issuer === undefined ? [] : ['issuers'],
        message: 'set exactly one of issuer (with jwks) or issuers (each with its own jwks)',
      });
    }
    if (Array.isArray(id.issuer) && id.issuer.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['issuer'],
        message: `${id.issuer.length} issuers would share one key set, so each could sign tokens for the others — list them under issuers: [{ issuer, jwks }, …], each with its own jwks`,
      });
    }
    if (id.issuers !== undefined && id.jwks !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwks'],
        message:
          'with issuers, each entry carries its own jwks — move this key set into the issuer it belongs to',
      });
    }
    if (id.issuers !== undefined && id.issuers.length > 1 && id.hmacSecret !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['hmacSecret'],
        message: 'an HMAC secret belongs to one issuer and cannot be used with several issuers',
      });
    }
    const seen = new Set<string>();
    for (const [i, entry] of (id.issuers ?? []).entries()) {
      if (seen.has(entry.issuer)) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', i, 'issuer'],
          message: `${entry.issuer} is listed twice`,
        });
      }
      seen.add(entry.issuer);
    }
  });

const columnRule = z
  .strictObject({
    style: maskStyle,
    predicates: z.enum(['allow', 'deny'], { error: 'predicates must be allow or deny' }).optional().meta({
      description:
        'Whether SQL may read the column in WHERE, JOIN, ORDER BY, GROUP BY and other conditions (allow), or only as a result column (deny, the default).',
    }),
  })
  .meta({ description: 'A column rule with options.' });

const profile = z
  .strictObject({
    detectors: z.array(nonEmpty).optional().meta({
      description:
        'Detector categories (secrets, pii), detector ids, or all. Absent: every built-in detector.',
    }),
    style: maskStyle.optional(),
    columns: z
      .record(nonEmpty, z.union([maskStyle, columnRule]))
      .optional()
      .meta({
        description:
          'Column name (or schema.table.column) glob → style, or { style, predicates: allow | deny }.',
      }),
    fields: z.record(nonEmpty, maskStyle).optional().meta({ description: 'JSON field name glob → style.' }),
  })
  .meta({ description: 'A masking profile.' });

/** The zod schema of a policy file (version 1). */
export const policySchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'A JSON Schema reference for editors; ignored.' }),
    version: z.literal(1, { error: 'version must be 1 — write version: 1' }),
    identity: identity.optional().meta({ description: 'How bearer tokens become principals.' }),
    targets: z
      .record(
        z.string().regex(TARGET_NAME_PATTERN, {
          error: 'a target name cannot contain whitespace or glob characters (* ? [ ] { } ( ) ! , | + @ \\)',
        }),
        z.strictObject({ protocol: z.enum(['postgres', 'ssh', 'kubernetes']) }),
      )
      .meta({ description: 'Named connections and their protocol.' }),
    rules: z.array(rule).optional().meta({ description: 'Rules; see docs/policy.md for evaluation.' }),
    masking: z
      .strictObject({
        default: nonEmpty
          .optional()
          .meta({ description: 'The profile used when no deciding allow rule names one.' }),
        profiles: z.record(nonEmpty, profile).optional(),
      })
      .optional(),
    recording: z
      .strictObject({
        required: z
          .boolean()
          .optional()
          .meta({ description: 'Every allowed request may only run if it can be recorded (default false).' }),
      })
      .optional(),
  })
  .meta({
    title: 'Portcullis policy',
    description: 'A Portcullis policy file, version 1 (docs/policy.md).',
  });

let cached: object | undefined;

/**
 * The JSON Schema (draft 2020-12) of a policy file, for editors and `portcullis schema`.
 * Semantic rules (unique ids, operations per protocol, defined targets and profiles) are not
 * expressible in JSON Schema; loading checks them.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(policyJsonSchema(), null, 2));
 * ```
 */
export const policyJsonSchema = (): object => {
  cached ??= z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' });
  return structuredClone(cached);
};

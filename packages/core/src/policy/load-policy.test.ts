import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../errors.js';
import { compilePolicy } from './compile-policy.js';
import { loadPolicyFile, parsePolicy } from './load-policy.js';
import type { PolicyDocument } from './policy-types.js';

/** The message and issues of the PolicyError `fn` throws. */
function failure(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

const yaml = (text: string) => failure(() => parsePolicy(text, { file: 'portcullis.yaml' })).message;
const HEAD = `version: 1
targets:
  warehouse: { protocol: postgres }
  bastion: { protocol: ssh }
  prod-cluster: { protocol: kubernetes }
`;

describe('parsePolicy: errors people can act on (YAML)', () => {
  it('names file, line, column and path for an unknown operation, with a did-you-mean', () => {
    const err = failure(() =>
      parsePolicy(
        `${HEAD}rules:
  - id: analysts-read
    effect: allow
    when:
      groups: [analysts]
      targets: [warehouse]
      operations: [selct, explain]
`,
        { file: 'portcullis.yaml' },
      ),
    );
    expect(err.code).toBe('ERR_POLICY_INVALID');
    expect(err.message).toBe(
      'portcullis.yaml:12:20: rules[0].when.operations[0]: unknown operation "selct" for postgres targets (warehouse) — did you mean "select"?',
    );
    expect(err.issues).toEqual([
      {
        file: 'portcullis.yaml',
        line: 12,
        column: 20,
        path: 'rules.0.when.operations.0',
        message: 'unknown operation "selct" for postgres targets (warehouse) — did you mean "select"?',
      },
    ]);
  });

  it('lists every problem, in file order', () => {
    expect(
      yaml(`${HEAD}rules:
  - id: a
    effect: allow
    when: { targets: [wearhouse], kinds: [humans] }
    mask: strict
  - id: a
    effect: deny
    when: { targets: [bastion], operations: [select] }
`),
    ).toBe(
      [
        'portcullis.yaml:9:23: rules[0].when.targets[0]: unknown target "wearhouse" — did you mean "warehouse"?',
        'portcullis.yaml:9:43: rules[0].when.kinds[0]: unknown kind "humans" — did you mean "human"?',
        'portcullis.yaml:10:11: rules[0].mask: masking profile "strict" is not defined — define it under masking.profiles (none are defined)',
        'portcullis.yaml:11:9: rules[1].id: rule id "a" is already used by rules[0] — rule ids must be unique; rename one',
        'portcullis.yaml:13:46: rules[1].when.operations[0]: operation "select" does not apply to ssh targets (bastion) — it is postgres vocabulary; use one of: exec, write, shell, sftp_read, sftp_write, forward, unknown',
      ].join('\n'),
    );
  });

  it('rejects unknown keys at every level, pointing at the key', () => {
    expect(
      yaml(`${HEAD}rules:
  - id: a
    effect: allow
    when: { groups: [x], opertions: [select] }
    reasn: typo
  - id: b
    effect: deny
    operations: [drop]
recordings: { required: true }
`),
    ).toBe(
      [
        'portcullis.yaml:9:26: rules[0].when.opertions: unknown key "opertions" — did you mean "operations"?',
        'portcullis.yaml:10:5: rules[0].reasn: unknown key "reasn" — did you mean "reason"?',
        'portcullis.yaml:13:5: rules[1].operations: unknown key "operations" — match fields go under when: (when: { operations: [ … ] })',
        'portcullis.yaml:14:1: recordings: unknown key "recordings" — did you mean "recording"?',
      ].join('\n'),
    );
    expect(yaml(`${HEAD}colour: blue\n`)).toBe(
      'portcullis.yaml:6:1: colour: unknown key "colour" — allowed keys here: $schema, version, identity, targets, rules, masking, recording',
    );
  });

  it('requires version 1 and well-typed values', () => {
    expect(yaml(HEAD.replace('version: 1', 'version: 2'))).toBe(
      'portcullis.yaml:1:10: version: version must be 1 — write version: 1',
    );
    expect(yaml(HEAD.replace('version: 1\n', ''))).toBe(
      'portcullis.yaml:1:1: version: version must be 1 — write version: 1',
    );
    expect(yaml(`${HEAD}rules:\n  - id: a\n    effect: permit\n`)).toBe(
      'portcullis.yaml:8:13: rules[0].effect: "permit" is not one of allow, deny, review — use one of them',
    );
    expect(yaml(`${HEAD}rules:\n  - id: a\n    effect: alow\n`)).toBe(
      'portcullis.yaml:8:13: rules[0].effect: "alow" is not one of allow, deny, review — did you mean "allow"?',
    );
    expect(yaml(`${HEAD}rules:\n  - effect: allow\n    when: { groups: analysts }\n`)).toBe(
      [
        'portcullis.yaml:7:5: rules[0].id: missing required key "id" — add it',
        'portcullis.yaml:8:21: rules[0].when.groups: expected a list, got a string — change the value',
      ].join('\n'),
    );
    expect(yaml(`${HEAD}rules:\n  - id: a\n    effect: allow\n    when: { groups: [] }\n`)).toBe(
      'portcullis.yaml:9:21: rules[0].when.groups: an empty list matches nothing — remove the field to match anything, or list at least one pattern',
    );
    expect(yaml(HEAD.replace('protocol: ssh', 'protocol: sssh'))).toBe(
      'portcullis.yaml:4:24: targets.bastion.protocol: "sssh" is not one of postgres, ssh, kubernetes — did you mean "ssh"?',
    );
  });

  it('asks for quotes where YAML read a number or boolean instead of a name', () => {
    expect(
      yaml(`${HEAD}rules:\n  - id: r\n    effect: allow\n    when: { subjects: [1234, yes, true] }\n`),
    ).toBe(
      [
        'portcullis.yaml:9:24: rules[0].when.subjects[0]: expected a string, got number 1234 — quote it: "1234"',
        'portcullis.yaml:9:35: rules[0].when.subjects[2]: expected a string, got boolean true — quote it: "true"',
      ].join('\n'),
    );
  });

  it('reports YAML syntax errors with their position', () => {
    expect(yaml('version: 1\ntargets:\n  a: { protocol: postgres\nrules: []\n')).toMatch(
      /^portcullis\.yaml:4:1: Flow map in block collection must be sufficiently indented and end with a \} — fix the YAML syntax here/,
    );
    expect(yaml('version: 1\nversion: 1\ntargets: {}\n')).toMatch(
      /^portcullis\.yaml:2:1: Map keys must be unique — fix the YAML syntax here$/,
    );
    expect(yaml('version: 1\n\ttargets: {}\n')).toMatch(/^portcullis\.yaml:2:1: /);
  });

  it('checks effect-specific fields', () => {
    expect(
      yaml(`${HEAD}masking: { profiles: { p: {} } }
rules:
  - id: a
    effect: allow
    review: { approvers: { groups: [m] } }
  - id: b
    effect: review
  - id: c
    effect: deny
    mask: p
    record: true
`),
    ).toBe(
      [
        'portcullis.yaml:10:5: rules[0].review: review only applies to rules with effect: review — remove it, or change effect from allow to review',
        'portcullis.yaml:11:5: rules[1]: a review rule needs review: { approvers: { groups: [ … ] } } — say who may approve',
        'portcullis.yaml:15:5: rules[2].mask: mask only applies to rules with effect: allow (masking applies to results a request returns) — remove it',
        'portcullis.yaml:16:5: rules[2].record: record only applies to allow and review rules (a denied request never runs) — remove it',
      ].join('\n'),
    );
    expect(yaml(`${HEAD}rules:\n  - id: d\n    effect: review\n    review: { approvers: {} }\n`)).toBe(
      'portcullis.yaml:9:26: rules[0].review.approvers: approvers must name subjects or groups (or both)',
    );
  });

  it('checks operations against the protocols the rule reaches', () => {
    const msg = (when: string) => yaml(`${HEAD}rules:\n  - id: r\n    effect: deny\n    when: ${when}\n`);
    expect(msg('{ operations: [selct] }')).toBe(
      'portcullis.yaml:9:26: rules[0].when.operations[0]: unknown operation "selct" for any protocol — did you mean "select"?',
    );
    expect(msg('{ targets: ["prod-*"], operations: [exec, portforwrd] }')).toBe(
      'portcullis.yaml:9:53: rules[0].when.operations[1]: unknown operation "portforwrd" for kubernetes targets (prod-cluster) — did you mean "portforward"?',
    );
    expect(msg('{ targets: ["*"], operations: ["unk*"] }')).toBe(
      'portcullis.yaml:9:42: rules[0].when.operations[0]: operation pattern "unk*" matches no operation of postgres/ssh/kubernetes targets (warehouse, bastion, prod-cluster): a pattern never matches unknown — write unknown literally',
    );
    expect(msg('{ targets: [warehouse], operations: ["sftp_*"] }')).toMatch(
      /^portcullis\.yaml:9:48: rules\[0\]\.when\.operations\[0\]: operation pattern "sftp_\*" matches no operation of postgres targets \(warehouse\) — the operations are: select, /,
    );
    expect(msg('{ resources: ["{a,b"] }')).toBe(
      'portcullis.yaml:9:25: rules[0].when.resources[0]: invalid pattern "{a,b": unbalanced "{": close it with "}" or escape it as \\{',
    );
    // valid: exec is kubernetes and ssh vocabulary; `copy_*` only on postgres targets
    expect(() =>
      parsePolicy(
        `${HEAD}rules:\n  - id: r\n    effect: deny\n    when: { operations: [exec, "copy_*", unknown] }\n`,
      ),
    ).not.toThrow();
  });
});

describe('parsePolicy: JSON', () => {
  const json = (text: string) => failure(() => parsePolicy(text, { file: 'policy.json' })).message;

  it('maps validation issues to lines and columns', () => {
    expect(
      json(`{
  "version": 1,
  "targets": { "warehouse": { "protocol": "postgres" } },
  "rules": [
    { "id": "r", "effect": "allow", "when": { "operations": ["selct"] }, "colour": 1 }
  ]
}`),
    ).toBe(
      'policy.json:5:74: rules[0].colour: unknown key "colour" — allowed keys here: id, effect, when, reason, review, mask, record',
    );
    expect(
      json(`{
  "version": 1,
  "targets": { "warehouse": { "protocol": "postgres" } },
  "rules": [ { "id": "r", "effect": "allow", "when": { "operations": ["selct"] } } ]
}`),
    ).toBe(
      'policy.json:4:71: rules[0].when.operations[0]: unknown operation "selct" for any protocol — did you mean "select"?',
    );
  });

  it.each([
    [
      '{\n  "version": 1,\n  "targets": {},\n}',
      'policy.json:4:1: expected a double-quoted property name, found "}" — fix the JSON syntax here',
    ],
    [
      '{\n  "version" 1\n}',
      'policy.json:2:13: expected \':\' after the property name, found "1" — fix the JSON syntax here',
    ],
    ['{\n  "version": tru\n}', 'policy.json:2:14: expected a value, found "t" — fix the JSON syntax here'],
    [
      '{\n  "version": 1',
      "policy.json:2:15: expected ',' or '}' after a property value, found end of input — fix the JSON syntax here",
    ],
    [
      '{"version": 1} x',
      'policy.json:1:16: unexpected "x" after the end of the document — fix the JSON syntax here',
    ],
    [
      '{\n  "version": 1,\n  "version": 1,\n  "targets": {}\n}',
      'policy.json:3:3: duplicate key — each key may appear once in an object; remove or merge the repeats',
    ],
    [
      '{"a": "x\ny"}',
      'policy.json:1:9: control character in string (write it as an escape such as \\n) — fix the JSON syntax here',
    ],
  ])('syntax error %#', (text, message) => {
    expect(json(text)).toBe(message);
  });

  it('accepts the format from the option, and JSON with a $schema reference', () => {
    const p = parsePolicy('{"$schema": "./policy.schema.json", "version": 1, "targets": {}}', {
      format: 'json',
    });
    expect(p.targets.size).toBe(0);
  });
});

describe('parsePolicy: what a compiled policy holds', () => {
  it('exposes targets, masking, recording and the validated document', () => {
    const p = parsePolicy(
      `${HEAD}masking:
  default: basic
  profiles:
    basic: {}
    strict: { detectors: [all], style: hash, columns: { "*password*": redact }, fields: { token: partial } }
recording: { required: true }
rules:
  - id: r
    effect: allow
`,
      { file: 'p.yaml' },
    );
    expect([...p.targets.values()]).toEqual([
      { name: 'warehouse', protocol: 'postgres' },
      { name: 'bastion', protocol: 'ssh' },
      { name: 'prod-cluster', protocol: 'kubernetes' },
    ]);
    expect(p.masking.default).toBe('basic');
    expect(p.masking.profiles.get('strict')).toEqual({
      detectors: ['all'],
      style: 'hash',
      columns: { '*password*': 'redact' },
      fields: { token: 'partial' },
    });
    expect(p.recordingRequired).toBe(true);
    expect(p.ruleIds).toEqual(['r']);
    expect(p.file).toBe('p.yaml');
    expect(p.locate('rules.0.effect')).toEqual({ line: 14, column: 13 });
    expect(p.locate(['targets', 'bastion'])).toEqual({ line: 4, column: 12 });
    expect(Object.isFrozen(p.document.rules)).toBe(true);
  });

  it('rejects invalid masking profiles and an undefined default', () => {
    expect(
      yaml(`${HEAD}masking: { default: strct, profiles: { strict: { style: blur, colums: {} } } }\n`),
    ).toBe(
      [
        'portcullis.yaml:6:57: masking.profiles.strict.style: "blur" is not one of redact, partial, hash, keep — use one of them',
        'portcullis.yaml:6:63: masking.profiles.strict.colums: unknown key "colums" — did you mean "columns"?',
      ].join('\n'),
    );
    expect(yaml(`${HEAD}masking: { default: strct, profiles: { strict: {} } }\n`)).toBe(
      'portcullis.yaml:6:21: masking.default: masking profile "strct" is not defined — did you mean "strict"?',
    );
  });

  it('accepts a column rule with options, and names what is wrong in one', () => {
    const p = parsePolicy(
      `${HEAD}masking:
  profiles:
    strict:
      columns:
        "public.users.email": { style: hash, predicates: allow }
        "*password*": { style: redact, predicates: deny }
        "*ssn*": redact
rules: []
`,
    );
    expect(p.masking.profiles.get('strict')?.columns).toEqual({
      'public.users.email': { style: 'hash', predicates: 'allow' },
      '*password*': { style: 'redact', predicates: 'deny' },
      '*ssn*': 'redact',
    });
    const message = yaml(`${HEAD}masking:
  profiles:
    strict:
      columns:
        "public.users.email": { style: hash, predicates: yes }
        "*password*": { predicates: allow }
        "*ssn*": { style: redact, predicate: allow }
`);
    expect(message).toBe(
      [
        'portcullis.yaml:10:58: masking.profiles.strict.columns["public.users.email"].predicates: predicates must be allow or deny',
        'portcullis.yaml:11:23: masking.profiles.strict.columns["*password*"].style: missing — add style: redact | partial | hash | keep',
        'portcullis.yaml:12:35: masking.profiles.strict.columns["*ssn*"].predicate: unknown key "predicate" — did you mean "predicates"?',
      ].join('\n'),
    );
    expect(yaml(`${HEAD}masking: { profiles: { strict: { columns: { "*ssn*": blur } } } }\n`)).toBe(
      'portcullis.yaml:6:54: masking.profiles.strict.columns["*ssn*"]: "blur" is not one of redact, partial, hash, keep — use one of them',
    );
  });

  it('rejects a detector name that is neither a category nor a built-in detector', () => {
    expect(
      yaml(`${HEAD}masking: { profiles: { p: { detectors: [secrets, github-tokn, nonsense] } } }\n`),
    ).toBe(
      [
        'portcullis.yaml:6:50: masking.profiles.p.detectors[1]: unknown detector "github-tokn" — did you mean "github-token"?',
        'portcullis.yaml:6:63: masking.profiles.p.detectors[2]: unknown detector "nonsense" — use secrets, pii, all, or a detector id (portcullis mask --list-detectors)',
      ].join('\n'),
    );
  });
});

describe('identity', () => {
  const ID = `${HEAD}identity:
  issuer: https://idp.example.com/
  audience: [portcullis, api]
  jwks: { file: ./keys/jwks.json }
  groupsClaim: realm_access.roles
  maxTokenAge: 1h
  clockTolerance: 45
  dpop: { required: true, maxAge: 90s }
`;

  it('becomes an IdentityConfig with durations in seconds', () => {
    const p = parsePolicy(ID);
    expect(p.identity).toEqual({
      issuer: 'https://idp.example.com/',
      audience: ['portcullis', 'api'],
      jwks: { file: './keys/jwks.json' },
      groupsClaim: 'realm_access.roles',
      maxTokenAge: 3600,
      clockTolerance: 45,
      dpop: { required: true, maxAge: 90 },
    });
  });

  it('reads hmacSecret from the named environment variable only', () => {
    const secret = `s${'x'.repeat(31)}`;
    const text = `${ID}  hmacSecret: { env: PC_TEST_HMAC }\n`;
    expect(parsePolicy(text, { env: { PC_TEST_HMAC: secret } }).identity?.hmacSecret).toBe(secret);
    // the document keeps only the variable's name
    expect(JSON.stringify(parsePolicy(text, { env: { PC_TEST_HMAC: secret } }).document)).not.toContain(
      secret,
    );
    expect(failure(() => parsePolicy(text, { file: 'p.yaml', env: {} })).message).toBe(
      'p.yaml:14:22: identity.hmacSecret.env: environment variable PC_TEST_HMAC is not set (or empty) — set it to the HMAC secret before loading the policy, or remove hmacSecret',
    );
    expect(parsePolicy(text, { env: {}, ignoreMissingSecrets: true }).identity?.hmacSecret).toBeUndefined();
  });

  it('refuses an inline secret without echoing it', () => {
    const inline = `v${'q'.repeat(23)}`;
    const message = failure(() => parsePolicy(`${ID}  hmacSecret: ${inline}\n`, { file: 'p.yaml' })).message;
    expect(message).toBe(
      'p.yaml:14:15: identity.hmacSecret: write hmacSecret as { env: NAME } — a secret never goes in a policy file; put it in an environment variable and name that variable here',
    );
    expect(message).not.toContain(inline);
  });

  it('validates the shape', () => {
    expect(
      failure(() => parsePolicy(`${ID}  algorithms: [RS256, none]\n  jwks2: {}\n`, { file: 'p.yaml' }))
        .message,
    ).toBe(
      [
        'p.yaml:14:15: identity.algorithms: "none" is never accepted — remove it',
        'p.yaml:15:3: identity.jwks2: unknown key "jwks2" — did you mean "jwks"?',
      ].join('\n'),
    );
    expect(
      failure(() => parsePolicy(ID.replace('maxTokenAge: 1h', 'maxTokenAge: 1 hour'), { file: 'p.yaml' }))
        .message,
    ).toBe(
      'p.yaml:11:16: identity.maxTokenAge: expected a duration: seconds, or numbers with units such as 90s, 30m, 1h, 2d, 1w or 1h30m',
    );
    expect(
      failure(() =>
        parsePolicy(ID.replace('{ file: ./keys/jwks.json }', '{ file: a, uri: "https://x.example/j" }'), {
          file: 'p.yaml',
        }),
      ).message,
    ).toBe(
      'p.yaml:9:9: identity.jwks: jwks must be exactly one of { file: PATH }, { uri: URL } or { keys: [ … ] }',
    );
  });
});

describe('loadPolicyFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-policy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads YAML and JSON by extension and resolves jwks.file against the policy folder', async () => {
    const yamlFile = join(dir, 'portcullis.yaml');
    await writeFile(
      yamlFile,
      `\ufeff${HEAD}identity: { issuer: i, audience: a, jwks: { file: ./jwks.json } }\n`,
    );
    const p = await loadPolicyFile(yamlFile);
    expect(p.identity?.jwks).toEqual({ file: join(dir, 'jwks.json') });
    expect(p.file).toBe(yamlFile);

    const jsonFile = join(dir, 'policy.json');
    await writeFile(
      jsonFile,
      JSON.stringify({ version: 1, targets: { db: { protocol: 'postgres' } } }, null, 2),
    );
    expect([...(await loadPolicyFile(jsonFile)).targets.keys()]).toEqual(['db']);
  });

  it('reports JSON errors with the file name and position', async () => {
    const jsonFile = join(dir, 'bad.json');
    await writeFile(jsonFile, '{\n  "version": 1,\n  "targets": { "db": { "protocol": "postgress" } }\n}\n');
    await expect(loadPolicyFile(jsonFile)).rejects.toThrow(
      `${jsonFile}:3:36: targets.db.protocol: "postgress" is not one of postgres, ssh, kubernetes — did you mean "postgres"?`,
    );
  });

  it('fails with a PolicyError when the file cannot be read', async () => {
    const missing = join(dir, 'missing.yaml');
    await expect(loadPolicyFile(missing)).rejects.toMatchObject({
      code: 'ERR_POLICY_INVALID',
      message: expect.stringMatching(
        new RegExp(
          `^${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read the policy file: ENOENT`,
        ),
      ) as unknown,
    });
  });
});

describe('compilePolicy (documents built in code)', () => {
  it('validates with paths but no positions', () => {
    const doc = {
      version: 1,
      targets: { db: { protocol: 'postgres' } },
      rules: [{ id: 'r', effect: 'allow', when: { operations: ['selct'] } }],
    };
    const err = failure(() => compilePolicy(doc as PolicyDocument));
    expect(err.message).toBe(
      '<policy>: rules[0].when.operations[0]: unknown operation "selct" for any protocol — did you mean "select"?',
    );
    expect(err.issues[0]).toEqual({
      path: 'rules.0.when.operations.0',
      message: 'unknown operation "selct" for any protocol — did you mean "select"?',
    });
  });

  it('does not keep a reference to the caller’s objects', () => {
    const rules = [{ id: 'r', effect: 'allow' as const }];
    const p = compilePolicy({ version: 1, targets: {}, rules });
    rules[0]!.id = 'changed';
    expect(p.ruleIds).toEqual(['r']);
  });
});

describe('identity: one key set per issuer', () => {
  const policy = (identity: string): string =>
    `version: 1\nidentity:\n${identity}\ntargets: { db: { protocol: postgres } }\n`;

  it('refuses several issuers sharing one jwks, pointing at issuers', () => {
    expect(() =>
      parsePolicy(
        policy(
          '  issuer: [https://a.test/, https://b.test/]\n  audience: x\n  jwks: { uri: https://a.test/jwks }',
        ),
      ),
    ).toThrow(/identity\.issuer.*2 issuers would share one key set/s);
  });

  it('accepts issuers, each with its own jwks, and refuses a shared jwks beside them', () => {
    const ok = parsePolicy(
      policy(
        '  audience: x\n  issuers:\n    - { issuer: https://a.test/, jwks: { uri: https://a.test/jwks } }\n    - { issuer: https://b.test/, jwks: { file: ./b.json } }',
      ),
    );
    expect(ok.identity?.issuers?.map((i) => i.issuer)).toEqual(['https://a.test/', 'https://b.test/']);
    expect(() =>
      parsePolicy(
        policy(
          '  audience: x\n  jwks: { uri: https://a.test/jwks }\n  issuers:\n    - { issuer: https://a.test/, jwks: { uri: https://a.test/jwks } }',
        ),
      ),
    ).toThrow(/identity\.jwks.*each entry carries its own jwks/s);
    expect(() => parsePolicy(policy('  audience: x'))).toThrow(/exactly one of issuer/);
  });
});

describe('durations: the loader reads what docs/identity.md and docs/policy.md show', () => {
  it('accepts compound durations and weeks in review ttl and identity settings', async () => {
    const { parsePolicy: parse } = await import('./load-policy.js');
    const policy = parse(`version: 1
identity: { issuer: https://idp.test/, audience: a, jwks: { keys: [] }, maxTokenAge: 1w, clockTolerance: 1m30s }
targets: { db: { protocol: postgres } }
rules:
  - id: r
    effect: review
    when: { operations: [delete] }
    review: { approvers: { groups: [managers] }, ttl: 1h30m }
`);
    expect(policy.document.rules?.[0]?.review?.ttl).toBe('1h30m');
  });
});

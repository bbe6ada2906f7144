import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { policyJsonSchema } from './schema.js';

const SPEC_EXAMPLE = `version: 1
identity:
  issuer: https://idp.example.com/
  audience: portcullis
  jwks: { file: ./jwks.json }
  groupsClaim: groups
  maxTokenAge: 1h
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

describe('policyJsonSchema', () => {
  const schema = policyJsonSchema() as Record<string, unknown>;
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

  it('is a draft 2020-12 schema with a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('Portcullis policy');
    expect(schema.required).toEqual(['version', 'targets']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('accepts the SPEC §4 example and a policy using every addition', () => {
    expect(validate(parse(SPEC_EXAMPLE))).toBe(true);
    const full = {
      $schema: './portcullis.schema.json',
      version: 1,
      identity: {
        issuer: ['a', 'b'],
        audience: 'x',
        jwks: { uri: 'https://idp.example.com/jwks' },
        hmacSecret: { env: 'PORTCULLIS_HMAC' },
        clockTolerance: 30,
        dpop: { required: true, maxAge: '60s' },
      },
      targets: { db: { protocol: 'postgres' } },
      recording: { required: true },
      masking: {
        default: 'p',
        profiles: { p: { detectors: ['all'], style: 'partial', columns: { '*': 'hash' }, fields: {} } },
      },
      rules: [
        {
          id: 'r',
          effect: 'review',
          when: { kinds: ['agent'] },
          review: { approvers: { subjects: ['x'] }, minApprovals: 2, ttl: 600, grant: 'window' },
          record: true,
        },
      ],
    };
    expect(validate(full)).toBe(true);
  });

  it.each([
    ['an unknown top-level key', { version: 1, targets: {}, colour: 'blue' }],
    ['version 2', { version: 2, targets: {} }],
    [
      'an inline HMAC secret',
      { version: 1, targets: {}, identity: { issuer: 'i', audience: 'a', hmacSecret: 'x' } },
    ],
    [
      'an unknown when field',
      { version: 1, targets: {}, rules: [{ id: 'r', effect: 'allow', when: { opertions: ['select'] } }] },
    ],
    [
      'an empty list',
      { version: 1, targets: {}, rules: [{ id: 'r', effect: 'allow', when: { groups: [] } }] },
    ],
    ['a bad effect', { version: 1, targets: {}, rules: [{ id: 'r', effect: 'permit' }] }],
    ['a bad protocol', { version: 1, targets: { x: { protocol: 'mysql' } } }],
    [
      'a bad duration',
      { version: 1, targets: {}, identity: { issuer: 'i', audience: 'a', maxTokenAge: '1 hour' } },
    ],
  ])('rejects %s', (_name, doc) => {
    expect(validate(doc)).toBe(false);
  });

  it('returns a fresh copy each time', () => {
    (policyJsonSchema() as Record<string, unknown>).title = 'changed';
    expect((policyJsonSchema() as Record<string, unknown>).title).toBe('Portcullis policy');
  });
});

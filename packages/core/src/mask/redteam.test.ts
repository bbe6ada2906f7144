// Findings of the masking red-team: secrets in shapes the detectors once missed (or over-masked),
// each with the exact output. Secrets are assembled at run time from a seeded generator, never
// written as literals.
import { describe, expect, it } from 'vitest';
import { createMasker } from './create-masker.js';
import { Buffer } from 'node:buffer';
import { examplePem, exampleJwt } from './detectors/keys.js';
import type { ExampleRng } from './lib/example-rng.js';
import { createExampleRng, githubStyleToken } from './lib/example-rng.js';
import { compileDetectors } from './lib/compile-detectors.js';
import { MaskEngine } from './lib/engine.js';
import { renderMasked } from './lib/render.js';
import { DETECTORS } from './catalog.js';

const masker = createMasker();

/** A case: the input text and the exact masked output, built from a generator. */
type Case = (r: ExampleRng) => { readonly text: string; readonly expected: string };

const awsSecret = (r: ExampleRng): string =>
  r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+', 40);
const akid = (r: ExampleRng): string => 'AK' + 'IA' + r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16);

const FALSE_NEGATIVES: readonly (readonly [string, Case])[] = [
  [
    'a token after a JSON \\n escape',
    (r) => {
      const gh = githubStyleToken(r, 'ghp_');
      return { text: `{"msg":"line one\\n${gh}"}`, expected: '{"msg":"line one\\n[REDACTED:github-token]"}' };
    },
  ],
  [
    'a token after a JSON \\t escape',
    (r) => {
      const gh = githubStyleToken(r, 'ghs_');
      return { text: `{"msg":"token\\t${gh}\\n"}`, expected: '{"msg":"token\\t[REDACTED:github-token]\\n"}' };
    },
  ],
  [
    'a token after a JSON \\u003d escape',
    (r) => {
      const gh = githubStyleToken(r, 'ghp_');
      return {
        text: `{"msg":"token\\u003d${gh}"}`,
        expected: '{"msg":"token\\u003d[REDACTED:github-token]"}',
      };
    },
  ],
  [
    'a token after a percent-encoded =',
    (r) => {
      const gh = githubStyleToken(r, 'gho_');
      return {
        text: `GET /cb?q=token%3D${gh}%26x=1`,
        expected: 'GET /cb?q=token%3D[REDACTED:github-token]%26x=1',
      };
    },
  ],
  [
    'an AWS key id after a JSON \\n escape',
    (r) => ({ text: `{"m":"key\\n${akid(r)}"}`, expected: '{"m":"key\\n[REDACTED:aws-access-key-id]"}' }),
  ],
  [
    'a JWT after a JSON \\n escape',
    (r) => ({ text: `{"msg":"token:\\n${exampleJwt(r)}"}`, expected: '{"msg":"token:\\n[REDACTED:jwt]"}' }),
  ],
  [
    'a bearer token after a JSON \\n escape',
    (r) => ({
      text: `{"msg":"retry\\nBearer ${r.b64url(40)}"}`,
      expected: '{"msg":"retry\\nBearer [REDACTED:bearer-token]"}',
    }),
  ],
  [
    'an HTTP request dumped into a JSON string',
    (r) => ({
      text: `{"req":"GET / HTTP/1.1\\r\\nAuthorization: Bearer ${r.b64url(40)}\\r\\nHost: api"}`,
      expected:
        '{"req":"GET / HTTP/1.1\\r\\nAuthorization: Bearer [REDACTED:authorization-header]\\r\\nHost: api"}',
    }),
  ],
  [
    'a Cookie header dumped into a JSON string (the next header is kept)',
    (r) => ({
      text: `{"req":"GET / HTTP/1.1\\r\\nCookie: sid=${r.base62(32)}\\r\\nHost: api"}`,
      expected: '{"req":"GET / HTTP/1.1\\r\\nCookie: [REDACTED:cookie-header]\\r\\nHost: api"}',
    }),
  ],
  [
    'a password after a JSON \\n escape (pwd=)',
    (r) => ({
      text: `{"env":"A=1\\npwd=${r.base62(12)}"}`,
      expected: '{"env":"A=1\\npwd=[REDACTED:password-assignment]"}',
    }),
  ],
  [
    'a bare value ends at the JSON escape after it',
    (r) => ({
      text: `{"env":"DB_PASSWORD=${r.base62(12)}\\nDB_HOST=db"}`,
      expected: '{"env":"DB_PASSWORD=[REDACTED:password-assignment]\\nDB_HOST=db"}',
    }),
  ],
  [
    'JSON inside a JSON string (escaped quotes): api_key',
    (r) => ({
      text: `{"log":"{\\"api_key\\":\\"${r.base62(32)}\\",\\"n\\":1}"}`,
      expected: '{"log":"{\\"api_key\\":\\"[REDACTED:secret-assignment]\\",\\"n\\":1}"}',
    }),
  ],
  [
    'JSON inside a JSON string (escaped quotes): password',
    (r) => ({
      text: `{"log":"{\\"password\\": \\"${r.base62(14)}\\"}"}`,
      expected: '{"log":"{\\"password\\": \\"[REDACTED:password-assignment]\\"}"}',
    }),
  ],
  [
    'AWS CLI table output',
    (r) => ({
      text: `||  AccessKeyId    |  ${akid(r)}  ||\n||  SecretAccessKey|  ${awsSecret(r)}  ||\n`,
      expected:
        '||  AccessKeyId    |  [REDACTED:aws-access-key-id]  ||\n||  SecretAccessKey|  [REDACTED:aws-secret-access-key]  ||\n',
    }),
  ],
  [
    'PostgreSQL ALTER ROLE … PASSWORD',
    (r) => ({
      text: `ALTER ROLE app WITH LOGIN PASSWORD '${r.base62(16)}' VALID UNTIL 'infinity';`,
      expected: "ALTER ROLE app WITH LOGIN PASSWORD '[REDACTED:sql-password]' VALID UNTIL 'infinity';",
    }),
  ],
  [
    'PostgreSQL CREATE USER … ENCRYPTED PASSWORD with a doubled quote',
    (r) => ({
      text: `CREATE USER report ENCRYPTED PASSWORD '${r.base62(8)}''${r.base62(4)}';`,
      expected: "CREATE USER report ENCRYPTED PASSWORD '[REDACTED:sql-password]';",
    }),
  ],
  [
    'MySQL IDENTIFIED WITH plugin BY',
    (r) => ({
      text: `CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY '${r.base62(14)}';`,
      expected: "CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY '[REDACTED:sql-password]';",
    }),
  ],
  [
    'MySQL IDENTIFIED BY PASSWORD (a hash)',
    (r) => ({
      text: `GRANT USAGE ON *.* TO 'a'@'%' IDENTIFIED BY PASSWORD '*${r.hex(40).toUpperCase()}'`,
      expected: "GRANT USAGE ON *.* TO 'a'@'%' IDENTIFIED BY PASSWORD '[REDACTED:sql-password]'",
    }),
  ],
  [
    'Oracle IDENTIFIED BY, unquoted',
    (r) => ({
      text: `CREATE USER scott IDENTIFIED BY ${r.base62(12)};`,
      expected: 'CREATE USER scott IDENTIFIED BY [REDACTED:sql-password];',
    }),
  ],
  [
    'an internationalised email address (whole, not just its ASCII tail)',
    (r) => ({
      text: `Kontakt: j\u00f6rg.${r.lower(4)}@b\u00fccher.de.`,
      expected: 'Kontakt: [REDACTED:email].',
    }),
  ],
  [
    'a Cyrillic local part after a full-width colon',
    (r) => ({
      text: `\u8054\u7cfb\uff1a\u0438\u0432\u0430\u043d.${r.lower(3)}@example.ru`,
      expected: '\u8054\u7cfb\uff1a[REDACTED:email]',
    }),
  ],
  [
    'a URL-encoded email address in a query string',
    (r) => ({
      text: `GET /invite?email=${r.lower(6)}%40example.org&ref=1 HTTP/1.1`,
      expected: 'GET /invite?email=[REDACTED:email]&ref=1 HTTP/1.1',
    }),
  ],
  [
    'a Kubernetes TLS Secret: base64 private key in tls.key',
    (r) => {
      const key = Buffer.from(examplePem(r, 'EC ', 3)).toString('base64');
      const crt = Buffer.from(examplePem(r, 'EC ', 3).replace(/PRIVATE KEY/g, 'CERTIFICATE')).toString(
        'base64',
      );
      return {
        text: `apiVersion: v1\ndata:\n  tls.crt: ${crt}\n  tls.key: ${key}\nkind: Secret\n`,
        // the whole data block of a Secret manifest is masked, certificate included
        expected: `apiVersion: v1\ndata:\n[REDACTED:kubernetes-secret-yaml]\nkind: Secret\n`,
      };
    },
  ],
  [
    'kubeconfig client-key-data',
    (r) => ({
      text: `    client-key-data: ${Buffer.from(examplePem(r, 'RSA ', 6)).toString('base64')}\n`,
      expected: '    client-key-data: [REDACTED:private-key-base64]\n',
    }),
  ],
  [
    'a PGP SECRET KEY BLOCK',
    (r) => ({
      text: `key:\n${examplePem(r, 'PGP ', 4).replace(/PRIVATE KEY-----/g, 'SECRET KEY BLOCK-----')}\n`,
      expected: 'key:\n[REDACTED:private-key]\n',
    }),
  ],
  [
    'a .dockerconfigjson Secret',
    (r) => {
      const auth = Buffer.from(`bob:${r.base62(16)}`).toString('base64');
      const doc = Buffer.from(JSON.stringify({ auths: { 'ghcr.io': { auth } } })).toString('base64');
      return {
        text: `data:\n  .dockerconfigjson: ${doc}\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n`,
        expected:
          'data:\n[REDACTED:kubernetes-secret-yaml]\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n',
      };
    },
  ],
  [
    'a docker config.json auth entry',
    (r) => ({
      text: `{"auths":{"ghcr.io":{"auth":"${Buffer.from(`bob:${r.base62(16)}`).toString('base64')}"}}}`,
      expected: '{"auths":{"ghcr.io":{"auth":"[REDACTED:docker-config-auth]"}}}',
    }),
  ],
  [
    'curl -u user:password',
    (r) => ({
      text: `curl -sS -u admin:${r.base62(14)} https://api.example.com/v1`,
      expected: 'curl -sS -u admin:[REDACTED:cli-password] https://api.example.com/v1',
    }),
  ],
  [
    'sshpass -p',
    (r) => ({
      text: `sshpass -p '${r.base62(14)}' ssh deploy@10.0.0.5 uptime`,
      expected: "sshpass -p '[REDACTED:cli-password]' ssh deploy@10.0.0.5 uptime",
    }),
  ],
  [
    'mysql -pPASSWORD (and -P port kept)',
    (r) => ({
      text: `mysql -h db -P 3306 -u root -p${r.base62(12)} app`,
      expected: 'mysql -h db -P 3306 -u root -p[REDACTED:cli-password] app',
    }),
  ],
  [
    'docker login -p and redis-cli -a',
    (r) => ({
      text: `docker login -u bob -p ${r.base62(16)} ghcr.io && redis-cli -h cache -a "${r.base62(16)}" ping`,
      expected:
        'docker login -u bob -p [REDACTED:cli-password] ghcr.io && redis-cli -h cache -a "[REDACTED:cli-password]" ping',
    }),
  ],
  [
    'a .netrc line',
    (r) => ({
      text: `machine api.github.com login bob password ${r.base62(20)}\n`,
      expected: 'machine api.github.com login bob password [REDACTED:cli-password]\n',
    }),
  ],
  [
    'Maven settings.xml <password> element',
    (r) => ({
      text: `<server>\n  <id>repo</id>\n  <password>${r.base62(14)}</password>\n</server>`,
      expected: '<server>\n  <id>repo</id>\n  <password>[REDACTED:password-assignment]</password>\n</server>',
    }),
  ],
  [
    'an XML <client_secret> element',
    (r) => ({
      text: `<client_secret>${r.base62(24)}</client_secret>`,
      expected: '<client_secret>[REDACTED:secret-assignment]</client_secret>',
    }),
  ],
  [
    'a connection string with JSON-escaped slashes',
    (r) => ({
      text: `{"dsn":"postgres:\\/\\/app:${r.base62(14)}@db:5432\\/app"}`,
      expected: '{"dsn":"postgres:\\/\\/app:[REDACTED:url-credentials]@db:5432\\/app"}',
    }),
  ],
];

const OVER_MASKING: readonly (readonly [string, Case])[] = [
  [
    'a token as a URL user name keeps the host (x-access-token)',
    (r) => {
      const gh = githubStyleToken(r, 'ghs_');
      return {
        text: `git clone https://x-access-token:${gh}@github.com/org/repo.git`,
        expected: 'git clone https://x-access-token:[REDACTED:github-token]@github.com/org/repo.git',
      };
    },
  ],
];

const BENIGN: readonly string[] = [
  'password: REDACTED',
  'password: <redacted>',
  'password: [REDACTED]',
  '"password": "***masked***"',
  'password: ****',
  'password: ',
  'password: ${DB_PASSWORD}',
  'password=xxxxxxxx',
  'set PGPASSWORD=%DB_PASSWORD%',
  'passwd:         files systemd',
  'shadow:         files',
  'https://github.com/org/repo/blob/main/src/index.ts?plain=1#L10',
  'https://example.com:8443/path?token_type=bearer',
  'getUserAccountPasswordResetTokenExpirationTimestampForOrganization',
  '{"log":"{\\"password\\":\\"\\"}"}',
  '{"log":"{\\"token_type\\":\\"Bearer\\"}"}',
  '{"msg":"line one\\nline two"}',
  'Accepted password for alice from 10.0.0.1 port 22 ssh2',
  'ALTER ROLE app PASSWORD NULL;',
  "CREATE ROLE app PASSWORD '${APP_PASSWORD}';",
  'CREATE USER ops IDENTIFIED EXTERNALLY;',
  'https://registry.npmjs.org/%40scope%2fpkg',
  'icon@2x.png',
  'curl -u $USER:$TOKEN https://api.example.com',
  'docker run -u 1000:1000 alpine id',
  'mysql -h db -P 3306 -u root -p app',
  'machine learning password reset',
  '{"auth": "c2VydmljZQ=="}',
  '<password>${env.DB_PASSWORD}</password>',
  '<passwordPolicy>strict</passwordPolicy>',
  '<password></password>',
];

describe('red-team: secrets in shapes once missed', () => {
  it.each(FALSE_NEGATIVES)('%s', (_name, make) => {
    for (const seed of [11, 12, 13]) {
      const { text, expected } = make(createExampleRng(seed));
      expect(masker.maskText(text).text).toBe(expected);
    }
  });
});

describe('red-team: masking stops where the secret does', () => {
  it.each(OVER_MASKING)('%s', (_name, make) => {
    for (const seed of [21, 22, 23]) {
      const { text, expected } = make(createExampleRng(seed));
      expect(masker.maskText(text).text).toBe(expected);
    }
  });
});

describe('red-team: benign text stays as it is', () => {
  it.each(BENIGN.map((t) => [t] as const))('%j', (text) => {
    expect(masker.maskText(text)).toEqual({ text, findings: [] });
  });
});

describe('red-team: interactive prompts are not held by the new detectors', () => {
  const set = compileDetectors(masker.detectors);
  const render = (det: number, text: string): string =>
    renderMasked('redact', set.defs[det]?.id ?? '?', text, undefined);
  it.each([
    ['mysql> ', 'mysql> '],
    ['mysql> SELECT 1;\n', 'mysql> SELECT 1;\n'],
    ['$ docker-compose up -d\n', '$ docker-compose up -d\n'],
    ['machine:~$ ', 'machine:~$ '],
    ['Enter password: ', 'Enter password: '],
    ['PASSWORD for app: ', 'PASSWORD for app: '],
    ['$ curl -u admin:', '$ '],
    ["sshpass -p 'abc", ''],
  ])('on %j emits %j at an idle flush', (text, emitted) => {
    const engine = new MaskEngine(set, render);
    expect(engine.write(text) + engine.idle()).toBe(emitted);
    expect(engine.pending).toBe(text.length - emitted.length);
  });
});

describe('red-team: parsed documents', () => {
  it('masks the auth entry of a parsed Docker config.json by its key', () => {
    const r = createExampleRng(31);
    const auth = Buffer.from(`bob:${r.base62(16)}`).toString('base64');
    expect(masker.maskJson({ auths: { 'ghcr.io': { auth }, other: { auth: 'c2VydmljZQ==' } } })).toEqual({
      auths: { 'ghcr.io': { auth: '[REDACTED:docker-config-auth]' }, other: { auth: 'c2VydmljZQ==' } },
    });
  });

  it('masks an SQL password inside a row value', () => {
    const r = createExampleRng(32);
    expect(masker.maskRow({ query: `ALTER ROLE x PASSWORD '${r.base62(14)}'` }, [{ name: 'query' }])).toEqual(
      {
        query: "ALTER ROLE x PASSWORD '[REDACTED:sql-password]'",
      },
    );
  });
});

// A stand-in (EXAMPLE, `...`, a run of one character) near a secret does not let it through.
// The attack: a key block cut short runs on over what follows it (`... (truncated)`, a line
// that says example.com), and the stand-in test read that text as the key's.
describe('red-team: stand-ins next to a secret', () => {
  const triggers = ['... (truncated)', 'EXAMPLE', 'a'.repeat(10), '12345678', 'x'.repeat(7), 'your-key-here'];
  const secrets = DETECTORS.filter((d) => d.category === 'secret');

  it.each(secrets.map((d) => [d.id, d] as const))('%s: a stand-in before or after it', (_, d) => {
    d.positives.forEach((make, i) => {
      const { text, secret } = make(createExampleRng(40 + i));
      for (const t of triggers) {
        for (const doc of [`${text}\n${t}\n`, `${text} ${t}`, `${text}\n${t}`, `${t}\n${text}`]) {
          expect(
            masker.maskText(doc).text,
            `${d.id} positive ${i} with ${JSON.stringify(doc)}`,
          ).not.toContain(secret);
        }
      }
    });
  });

  it('a key block whose header comment holds a stand-in', () => {
    const r = createExampleRng(47);
    const dashes = '-'.repeat(4);
    const key = `${dashes} BEGIN SSH2 ENCRYPTED PRIVATE KEY ${dashes}\nComment: "rsa-key-20240101..."\n${r.b64(64)}\n${dashes} END SSH2 ENCRYPTED PRIVATE KEY ${dashes}`;
    expect(masker.maskText(key).text).toBe('[REDACTED:ssh2-private-key]');
  });

  it('a PEM block with no END line, then a line with an e-mail address at example.com', () => {
    const pem = examplePem(createExampleRng(48), 'EC ', 2);
    const cut = pem.slice(0, pem.indexOf('\n-----END'));
    const text = `${cut}\n{"client_email": "svc@example.com"}`;
    expect(masker.maskText(text).text).toBe('[REDACTED:private-key]');
  });
});

// Private key material and signed tokens: PEM/OpenSSH/PGP blocks, PuTTY keys, age keys, JWTs.
import { Buffer } from 'node:buffer';
import type { ExampleRng } from '../lib/example-rng.js';
import type { DetectorDefinition } from '../lib/definition.js';
import { boundaryBefore, LOOKAHEAD, plain, token } from '../lib/definition.js';

/** The longest PEM body a match covers; a BEGIN with no END within it is masked to here. */
export const PEM_BODY_CAP = 16384;

const HEADER = /^-----BEGIN [A-Z0-9 ]{0,40}(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----/;
const HEADER_PREFIX = /^-----BEGIN(?: [A-Z0-9 ]{0,52}-{0,5})?$/;
const END = /^-----END [A-Z0-9 ]{0,40}(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----/;
const END_PREFIX = /^-----(?:E(?:N(?:D(?: [A-Z0-9 ]{0,52}-{0,5})?)?)?)?$/;

// Idle-flush viability of a PEM block: undecided until the header fails, the END marker (or
// what stops the body) is seen, or the body reaches its cap.
function pemViable(tail: string): number {
  const header = HEADER.exec(tail);
  if (header === null) return HEADER_PREFIX.test(tail) ? 0 : -1;
  const bodyStart = header[0].length;
  const stop = tail.indexOf('-----', bodyStart);
  if (stop === -1 || stop - bodyStart > PEM_BODY_CAP) {
    return tail.length - bodyStart > PEM_BODY_CAP + 80 + LOOKAHEAD ? -1 : 0;
  }
  const rest = tail.slice(stop);
  if (END.test(rest)) return -1;
  return END_PREFIX.test(rest) ? 0 : -1;
}

/** A PEM block assembled at run time (never a literal in the source). */
export function examplePem(rng: ExampleRng, label: string, lines = 20): string {
  const body: string[] = [];
  for (let i = 0; i < lines; i++) body.push(rng.b64(64));
  const dashes = '-'.repeat(5);
  const kind = `${label}PRIVATE KEY`;
  return `${dashes}BEGIN ${kind}${dashes}\n${body.join('\n')}\n${rng.b64(20)}==\n${dashes}END ${kind}${dashes}`;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A structurally valid JWT with a random signature. */
export function exampleJwt(rng: ExampleRng): string {
  const header = b64url({ alg: 'HS256', typ: 'JWT' });
  const payload = b64url({ sub: `user-${rng.digits(6)}`, iat: 1700000000 + rng.int(1e6) });
  return `${header}.${payload}.${rng.b64url(43)}`;
}

/** Whether base64 text decodes to a JWT (`eyJ….….`). */
function isBase64Jwt(value: string): boolean {
  return /^eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\./.test(Buffer.from(value, 'base64').toString('latin1'));
}

// A Secret's `data:` values are base64; a ConfigMap's are plain text, which rarely is valid
// base64 that decodes to printable text.
function isSecretData(block: string, cut: boolean): boolean {
  let printable = false;
  const lines = block.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const m = /^[ \t]+[A-Za-z0-9._-]+:[ \t]*(.*?)[ \t]*$/.exec(line);
    if (m === null) continue;
    const value = (m[1] ?? '').replace(/^["']|["']$/g, '');
    if (value.length === 0) continue;
    // (A value the window cut has any length.)
    const whole = !cut || i < lines.length - 1;
    if ((whole && value.length % 4 !== 0) || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
    if (/^[\t\n\r\x20-\x7e]+$/.test(Buffer.from(value, 'base64').toString('latin1'))) printable = true;
  }
  return printable;
}

const isBreak = (c: number): boolean => c === 10 || c === 13;
/** The most characters of a block's line one window holds (as the pattern reads them). */
const BLOCK_LINE = 4096;

/**
 * The part of a Secret's data block that `text` goes on with, after a part the window cut
 * short: the rest of a cut line, then up to sixteen lines indented by `indent` (the block's
 * entries), each of up to 4 KiB. The lines are masked from their start, so the line break
 * between two parts stays.
 */
function continueBlock(text: string, indent: string): { start: number; end: number } {
  let i = 0;
  while (i < text.length && i < BLOCK_LINE && !isBreak(text.charCodeAt(i))) i++;
  if (i === BLOCK_LINE) return { start: 0, end: i };
  let start = 0;
  for (let lines = 0; lines < 16; lines++) {
    let j = i;
    if (text.charCodeAt(j) === 13) j++;
    if (text.charCodeAt(j) !== 10) break;
    j++;
    const body = j + indent.length;
    if (!text.startsWith(indent, j) || body >= text.length || isBreak(text.charCodeAt(body))) break;
    let e = body;
    while (e < text.length && e - body < BLOCK_LINE && !isBreak(text.charCodeAt(e))) e++;
    if (i === 0) start = j;
    i = e;
    if (e - body === BLOCK_LINE) break;
  }
  return { start, end: i };
}

/** A Secret manifest as `kubectl get secret -o yaml` prints it, values generated. */
export function exampleSecretYaml(rng: ExampleRng): { readonly text: string; readonly secret: string } {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret = `  password: ${b64(rng.base62(16))}\n  username: ${b64('app')}`;
  return {
    text: `apiVersion: v1\ndata:\n${secret}\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\n`,
    secret,
  };
}

export const keyDetectors: readonly DetectorDefinition[] = [
  token({
    id: 'private-key',
    description:
      'PEM private keys (PKCS#1, PKCS#8, EC, DSA, encrypted), OpenSSH and PGP private (and legacy SECRET) key blocks, also inside JSON strings with escaped newlines; a BEGIN without END is masked for 16 KiB.',
    standIns: false,
    keywords: ['-----BEGIN'],
    pre: '(?<!-)',
    body: `[ ][A-Z0-9 ]{0,40}(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----(?:[^-]|-(?!----)){0,${PEM_BODY_CAP}}(?:-----END[ ][A-Z0-9 ]{0,40}(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----)?`,
    bodyMax: 1 + 40 + 17 + PEM_BODY_CAP + 9 + 40 + 17,
    charset: /./,
    post: '',
    viable: pemViable,
    positives: [
      plain((r) => examplePem(r, 'RSA ')),
      plain((r) => examplePem(r, 'OPENSSH ')),
      plain((r) => examplePem(r, '', 6)),
      plain((r) => examplePem(r, 'EC ', 3)),
      plain((r) => examplePem(r, 'PGP ').replace(/KEY-----/g, 'KEY BLOCK-----')),
      plain((r) => examplePem(r, 'PGP ').replace(/PRIVATE KEY-----/g, 'SECRET KEY BLOCK-----')),
      (r) => {
        const secret = examplePem(r, '', 25).replace(/\n/g, '\\n');
        return {
          text: `{"type": "service_account", "private_key": "${secret}", "project_id": "demo"}`,
          secret,
        };
      },
      (r) => {
        // No END marker: masked up to the cap, never leaked.
        const pem = examplePem(r, 'RSA ', 4);
        const secret = pem.slice(0, pem.indexOf('\n-----END'));
        return { text: secret, secret };
      },
    ],
    negatives: [
      '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ3\n-----END CERTIFICATE-----',
      '-----BEGIN PUBLIC KEY-----',
      '---------------------------------------- section ----',
    ],
  }),
  token({
    id: 'private-key-base64',
    description:
      'Base64-encoded PEM private keys, as in Kubernetes TLS Secrets (tls.key) and kubeconfig client-key-data (LS0tLS1CRUdJTi…, checked by decoding the header); 16 KiB at most.',
    // base64 of `-----BEGIN`: the blob starts with the PEM header, so its encoding is aligned.
    standIns: false,
    keywords: ['LS0tLS1CRUdJTi'],
    pre: boundaryBefore('A-Za-z0-9+/'),
    body: '[A-Za-z0-9+/]{16,16370}={0,2}',
    bodyMax: 16372,
    charset: /[A-Za-z0-9+/=]/,
    post: '(?![A-Za-z0-9+/=])',
    validate: (secret) =>
      /^-----BEGIN [A-Z0-9 ]{0,40}(?:PRIVATE|SECRET) KEY/.test(
        Buffer.from(secret.slice(0, 80), 'base64').toString('latin1'),
      ),
    positives: [
      (r) => {
        const secret = Buffer.from(examplePem(r, 'RSA ', 8)).toString('base64');
        return {
          text: `tls:\n  tls.crt: ${Buffer.from('-'.repeat(5) + 'BEGIN CERTIFICATE').toString('base64')}\n  tls.key: ${secret}\n`,
          secret,
        };
      },
      (r) => {
        const secret = Buffer.from(examplePem(r, 'EC ', 3)).toString('base64');
        return { text: `    client-key-data: ${secret}\n`, secret };
      },
    ],
    negatives: [
      `tls.crt: ${Buffer.from('-'.repeat(5) + 'BEGIN CERTIFICATE' + '-'.repeat(5) + '\nMIIBszCCAVmgAwIBAgIUZ3').toString('base64')}`,
      `ca.crt: ${Buffer.from('-'.repeat(5) + 'BEGIN PUBLIC KEY' + '-'.repeat(5) + '\nMIIBszCCAVmgAwIBAgIUZ3').toString('base64')}`,
    ],
  }),
  token({
    id: 'ssh2-private-key',
    description:
      'SSH.COM / RFC 4716-style private key files (---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----), headers and body; 8 KiB at most.',
    standIns: false,
    keywords: ['---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----'],
    pre: '(?<!-)',
    body: '(?:[^-]|-(?!--- END SSH2 ))' + '{0,8192}(?:---- END SSH2 ENCRYPTED PRIVATE KEY ----)?',
    bodyMax: 8192 + 39,
    charset: /[\s\S]/,
    post: '',
    positives: [
      (r) => {
        const dashes = '-'.repeat(4);
        const secret = `${dashes} BEGIN SSH2 ENCRYPTED PRIVATE KEY ${dashes}\nComment: "2048-bit rsa"\n${r.b64(64)}\n${r.b64(40)}\n${dashes} END SSH2 ENCRYPTED PRIVATE KEY ${dashes}`;
        return { text: `$ cat id_ssh2\n${secret}\n$ `, secret };
      },
    ],
    negatives: ['---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3NzaC1yc2E\n---- END SSH2 PUBLIC KEY ----'],
  }),
  token({
    id: 'putty-private-key',
    description: 'The private lines of PuTTY .ppk key files.',
    standIns: false,
    keywords: ['Private-Lines:'],
    pre: '(?<![A-Za-z0-9-])',
    body: '[ ]?[0-9]{1,3}(?<secret>[\\r\\n](?:(?!Private-)[A-Za-z0-9+/=\\r\\n]){0,8192}(?!Private-)[A-Za-z0-9+/=])',
    bodyMax: 8200,
    secretInBody: true,
    charset: /[A-Za-z0-9+/=\r\n ]/,
    post: '',
    positives: [
      (r) => {
        const secret = `\n${r.b64(64)}\n${r.b64(64)}\n${r.b64(20)}`;
        return {
          text: `PuTTY-User-Key-File-3: ssh-rsa\nPrivate-Lines: 3${secret}\nPrivate-MAC: ${r.hex(8)}`,
          secret,
        };
      },
    ],
    negatives: ['Private-Lines: none'],
  }),
  token({
    id: 'openvpn-static-key',
    description: 'OpenVPN static keys (tls-auth, tls-crypt, secret): the hex lines of the key block.',
    standIns: false,
    keywords: ['-----BEGIN OpenVPN Static key V1-----'],
    pre: '(?<!-)',
    body: '(?<secret>(?:\\r?\\n[0-9a-fA-F]{32}){1,16})',
    bodyMax: 16 * 34,
    secretInBody: true,
    charset: /[0-9a-fA-F\r\n]/,
    post: '',
    positives: [
      (r) => {
        const secret = Array.from({ length: 16 }, () => `\n${r.hex(32)}`).join('');
        return {
          text: `#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----${secret}\n-----END OpenVPN Static key V1-----`,
          secret,
        };
      },
    ],
    negatives: ['-----BEGIN OpenVPN Static key V1-----\n-----END OpenVPN Static key V1-----'],
  }),
  token({
    id: 'password-hash',
    description:
      'crypt(3) password hashes as in /etc/shadow and htpasswd files (MD5 $1$ and $apr1$, SHA-256 $5$, SHA-512 $6$, bcrypt $2a$/$2b$/$2y$, yescrypt $y$, Argon2): crackable offline.',
    keywords: [
      '$1$',
      '$5$',
      '$6$',
      '$y$',
      '$gy$',
      '$7$',
      '$2a$',
      '$2b$',
      '$2y$',
      '$apr1$',
      '$argon2id$',
      '$argon2i$',
      '$argon2d$',
    ],
    pre: '(?<![A-Za-z0-9$])',
    body: '(?:rounds=[0-9]{1,9}\\$)?(?:[./A-Za-z0-9=,+]{1,86}\\$){1,4}[./A-Za-z0-9+]{22,128}',
    bodyMax: 16 + 4 * 87 + 128,
    charset: /[./A-Za-z0-9=,+$]/,
    post: '(?![./A-Za-z0-9+])',
    positives: [
      plain((r) =>
        `root:$6$${r.chars('./' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 16)}$${r.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 86)}`.slice(
          5,
        ),
      ),
      plain(
        (r) => `$2y$10$${r.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 53)}`,
      ),
      plain(
        (r) =>
          `$apr1$${r.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 8)}$${r.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 22)}`,
      ),
      plain(
        (r) =>
          `$y$j9T$${r.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 22)}$${r.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 43)}`,
      ),
      plain(
        (r) =>
          `$argon2id$v=19$m=65536,t=3,p=4$${r.b64(22).replace(/=+$/, '')}$${r.b64(43).replace(/=+$/, '')}`,
      ),
    ],
    negatives: ['echo $1$2 done', 'cp "$1$DEST/usr/share/doc/package/README" .', 'price: $5$ per unit'],
  }),
  token({
    id: 'age-secret-key',
    description: 'age encryption secret keys (AGE-SECRET-KEY-1 and 58 bech32 characters).',
    keywords: ['AGE-SECRET-KEY-1'],
    body: '[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}',
    bodyMax: 58,
    charset: /[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]/,
    positives: [plain((r) => 'AGE-SECRET-KEY-1' + r.chars('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58))],
    negatives: ['AGE-SECRET-KEY-1 is the prefix'],
  }),
  token({
    id: 'jwt',
    description: 'JSON Web Tokens and JWEs (eyJ… base64url header, payload and signature, dot-separated).',
    keywords: ['eyJ'],
    pre: boundaryBefore('A-Za-z0-9_-'),
    body: '[A-Za-z0-9_-]{7,2000}\\.[A-Za-z0-9_-]{2,8000}\\.[A-Za-z0-9_-]{0,2000}(?:\\.[A-Za-z0-9_-]{0,2000}\\.[A-Za-z0-9_-]{0,4000})?',
    bodyMax: 18005,
    charset: /[A-Za-z0-9_.-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [
      plain(exampleJwt),
      (r) => {
        const secret = exampleJwt(r);
        return { text: `Authorization-Token=${secret}; Path=/`, secret };
      },
    ],
    negatives: ['eyJhbGciOiJIUzI1NiJ9', 'data:application/json;base64,eyJhIjoxfQ=='],
  }),
  token({
    id: 'jwt-base64',
    description:
      'Base64-encoded JSON Web Tokens (ZXlK…, checked by decoding), as in Kubernetes Secret data and service-account token files.',
    // base64 of `eyJ`: the encoded text starts with the token, so its encoding is aligned.
    keywords: ['ZXlK'],
    pre: boundaryBefore('A-Za-z0-9+/'),
    body: '[A-Za-z0-9+/]{40,24000}={0,2}',
    bodyMax: 24002,
    charset: /[A-Za-z0-9+/=]/,
    post: '(?![A-Za-z0-9+/=])',
    validate: isBase64Jwt,
    positives: [
      (r) => {
        const secret = Buffer.from(exampleJwt(r)).toString('base64');
        return { text: `{"serviceAccountToken": "${secret}"}`, secret };
      },
    ],
    negatives: [`x: ${Buffer.from('eyJhIjoxfQ is not a token').toString('base64')}`],
  }),
  {
    ...token({
      id: 'kubernetes-secret-yaml',
      description:
        'The data and stringData entries of Kubernetes Secret manifests written as YAML text (kubectl get secret -o yaml, manifests in logs); data: blocks count when every value is base64 and one decodes to text.',
      keywords: ['data:', 'stringData:'],
      pre: '(?<![A-Za-z0-9_-])',
      body: '(?<=(?:string)?[Dd]ata:)[ \\t]{0,8}\\r?\\n(?<block>(?<ind>[ \\t]{1,16})[A-Za-z0-9._-]{1,253}:[^\\r\\n]{0,4096}(?:\\r?\\n\\k<ind>[^\\r\\n]{1,4096}){0,15})',
      bodyMax: 8 + 2 + 16 * 4400,
      secretInBody: true,
      charset: /[\s\S]/,
      // (A line past 4 KiB is cut where the window ends; the continuation masks the rest.)
      post: '',
      positives: [
        exampleSecretYaml,
        (r) => {
          const secret = `  API_TOKEN: ${r.base62(32)}\n  DB_URL: db.internal`;
          return { text: `kind: Secret\nstringData:\n${secret}\n`, secret };
        },
      ],
      negatives: [
        'kind: ConfigMap\ndata:\n  LOG_LEVEL: info\n  FEATURES: search,checkout\n',
        'data:\n  enabled: true\n',
        'data:image/png;base64,iVBORw0KGgo=',
      ],
    }),
    pattern: new RegExp(
      '(?<![A-Za-z0-9_-])(?:(?<sd>stringData)|[Dd]ata):[ \\t]{0,8}\\r?\\n(?<block>(?<ind>[ \\t]{1,16})[A-Za-z0-9._-]{1,253}:[^\\r\\n]{0,4096}(?:\\r?\\n\\k<ind>[^\\r\\n]{1,4096}){0,15})',
      'yd',
    ),
    secretGroups: ['block'],
    // stringData holds plain values and only Secrets have it; data: must look like a Secret's.
    validate: (block, m) =>
      m.groups?.['sd'] !== undefined ||
      isSecretData(block, !/^(?:\r?\n|$)/.test(m.input.slice(m.index + m[0].length))),
    // Past sixteen entries, or a value past 4 KiB, the block goes on at the same indentation.
    continuation: { key: (m) => m.groups?.['ind'], extend: continueBlock },
  },
];

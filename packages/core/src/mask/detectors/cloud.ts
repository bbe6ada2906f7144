// Cloud provider credentials: AWS, Google Cloud, Azure, DigitalOcean, Heroku.
import { ALPHABETS } from '../lib/example-rng.js';
import type { DetectorDefinition } from '../lib/definition.js';
import { assigned, assignment, plain, token } from '../lib/definition.js';

const BASE32_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const cloudDetectors: readonly DetectorDefinition[] = [
  token({
    id: 'aws-access-key-id',
    description:
      'AWS access key ids: a documented four-letter prefix (AKIA long-term, ASIA temporary, AROA, AIDA, …) and 16 upper-case letters or digits.',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AIPA', 'ANPA', 'ANVA', 'APKA', 'AROA'],
    body: '[A-Z0-9]{16}',
    bodyMax: 16,
    charset: /[A-Z0-9]/,
    positives: [plain((r) => 'AKIA' + r.chars(BASE32_UPPER, 16)), plain((r) => 'ASIA' + r.upper(16))],
    negatives: ['the AKIA prefix marks a long-term key', 'AKIA0123456789ABCDE is one short', 'ASIAN markets'],
  }),
  assignment({
    id: 'aws-secret-access-key',
    description:
      'AWS secret access keys (40 base64 characters) assigned to a key named like aws_secret_access_key / SecretAccessKey, also in AWS CLI table output.',
    keywords: ['secret_access_key', 'secretaccesskey', 'secret-access-key', 'aws_secret', 'aws-secret'],
    key: /secret_?access_?key|aws_?secret(?:_?key)?$/,
    value: '[A-Za-z0-9/+]{40}',
    table: true,
    positives: [
      assigned('aws_secret_access_key', ' = ', (r) => r.b64(40)),
      assigned('"SecretAccessKey"', ': ', (r) => r.b64(40), '"'),
      assigned('||  SecretAccessKey', '|  ', (r) => r.b64(40)),
      assigned('{"log": "{\\"SecretAccessKey\\"', ':', (r) => r.b64(40), '\\"'),
      assigned('AWS_SECRET_ACCESS_KEY', '=', (r) => r.b64(40)),
    ],
    negatives: [
      'aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}',
      'export AWS_SECRET_ACCESS_KEY="$(vault read x)"',
    ],
  }),
  token({
    id: 'gcp-api-key',
    description: 'Google Cloud / Google Maps / Gemini API keys: AIza and 35 base64url characters.',
    keywords: ['AIza'],
    body: '[A-Za-z0-9_-]{35}',
    bodyMax: 35,
    charset: /[A-Za-z0-9_-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [plain((r) => 'AIza' + r.b64url(35))],
    negatives: ['AIzaTooShort', 'the AIza prefix'],
  }),
  token({
    id: 'google-oauth-client-secret',
    description: 'Google OAuth client secrets: GOCSPX- and 28 base64url characters.',
    keywords: ['GOCSPX-'],
    body: '[A-Za-z0-9_-]{28}',
    bodyMax: 28,
    charset: /[A-Za-z0-9_-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [plain((r) => 'GOCSPX-' + r.b64url(28))],
    negatives: ['GOCSPX-short'],
  }),
  token({
    id: 'google-oauth-token',
    description: 'Google OAuth access tokens (ya29.) and refresh tokens (1//0).',
    keywords: ['ya29.', '1//0'],
    body: '[A-Za-z0-9_.-]{20,2048}',
    bodyMax: 2048,
    charset: /[A-Za-z0-9_.-]/,
    post: '(?![A-Za-z0-9_.-])',
    positives: [plain((r) => 'ya29.' + r.b64url(120)), plain((r) => '1//0' + r.b64url(60))],
    negatives: ['ya29.short', 'x = 1//0'],
  }),
  token({
    id: 'azure-storage-key',
    description:
      'Azure storage account keys and Service Bus / Event Hubs / IoT shared access keys in connection strings (AccountKey=, SharedAccessKey=).',
    keywords: ['AccountKey=', 'SharedAccessKey='],
    ignoreCase: true,
    body: '[A-Za-z0-9+/]{20,100}={0,2}',
    bodyMax: 102,
    bodyOnly: true,
    charset: /[A-Za-z0-9+/=]/,
    post: '(?![A-Za-z0-9+/=])',
    positives: [
      (r) => {
        const secret = r.b64(86) + '==';
        const text = `DefaultEndpointsProtocol=https;AccountName=acct${r.digits(3)};AccountKey=${secret};EndpointSuffix=core.windows.net`;
        return { text, secret };
      },
      (r) => {
        const secret = r.b64(43) + '=';
        return {
          text: `Endpoint=sb://ns.servicebus.chinacloudapi.cn/;SharedAccessKeyName=send;SharedAccessKey=${secret}`,
          secret,
        };
      },
    ],
    negatives: ['AccountKey=<your-key>', 'SharedAccessKeyName=RootManageSharedAccessKey'],
  }),
  token({
    id: 'azure-sas-signature',
    description: 'Azure shared access signatures: the sig= parameter of a SAS URL or token.',
    keywords: ['sig='],
    body: '[A-Za-z0-9%+/]{20,200}(?:%3D|=){0,2}',
    bodyMax: 206,
    bodyOnly: true,
    pre: '(?<=[?&;])',
    charset: /[A-Za-z0-9%+/=]/,
    post: '(?![A-Za-z0-9%+/=])',
    positives: [
      (r) => {
        const secret = r.b64(43) + '%3D';
        return {
          text: `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&sp=r&se=2030-01-01T00:00:00Z&sig=${secret}`,
          secret,
        };
      },
    ],
    negatives: ['sig=abc', 'signature=deadbeef'],
  }),
  token({
    id: 'azure-ad-client-secret',
    description:
      'Microsoft Entra ID (Azure AD) client secrets: three characters, a digit, Q~ and 31–34 more.',
    keywords: ['Q~'],
    back: { max: 4, chars: /[A-Za-z0-9_~.-]/ },
    pre: '(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]',
    body: '[A-Za-z0-9_~.-]{31,34}',
    bodyMax: 34,
    charset: /[A-Za-z0-9_~.-]/,
    post: '(?![A-Za-z0-9_~.-])',
    positives: [plain((r) => r.base62(3) + r.digits(1) + 'Q~' + r.chars(ALPHABETS.base62 + '_~.-', 34))],
    negatives: ['press Q~ to quit', 'abc1Q~short'],
  }),
  token({
    id: 'digitalocean-token',
    description:
      'DigitalOcean personal access, OAuth and refresh tokens (dop_v1_, doo_v1_, dor_v1_ and 64 hex).',
    keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    body: '[a-f0-9]{64}',
    bodyMax: 64,
    charset: /[a-f0-9]/,
    positives: [plain((r) => 'dop_v1_' + r.hex(64))],
    negatives: ['dop_v1_ is the prefix'],
  }),
  token({
    id: 'heroku-api-key',
    description: 'Heroku platform API keys (HRKU-).',
    keywords: ['HRKU-'],
    body: '[A-Za-z0-9_-]{20,100}',
    bodyMax: 100,
    charset: /[A-Za-z0-9_-]/,
    post: '(?![A-Za-z0-9_-])',
    positives: [plain((r) => 'HRKU-AA' + r.b64url(58))],
    negatives: ['HRKU-short'],
  }),
];

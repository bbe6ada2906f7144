// Microsoft Azure and Entra ID credentials beyond storage keys and SAS signatures: connection
// strings of Cosmos DB, Service Bus / Event Hubs, IoT Hub, App Configuration, Communication
// Services and SignalR; Application Insights keys; Azure DevOps, Functions, OpenAI and AI Search
// keys; Entra ID client secrets under their usual names.
import type { ExampleRng } from '../lib/example-rng.js';
import type { DetectorDefinition } from '../lib/definition.js';
import { keyed, token } from '../lib/definition.js';

const B64 = '[A-Za-z0-9+/]';
const uuid = (r: ExampleRng): string => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-8${r.hex(3)}-${r.hex(12)}`;

/** A connection string whose host names the service and whose key follows `;<name>=`. */
function connectionString(spec: {
  readonly id: string;
  readonly description: string;
  readonly host: string;
  readonly keyName: string;
  /** Regex source of the key. */
  readonly key: string;
  readonly example: (r: ExampleRng) => { readonly text: string; readonly secret: string };
}): DetectorDefinition {
  return token({
    id: spec.id,
    description: spec.description,
    keywords: [spec.host],
    ignoreCase: true,
    pre: '',
    body: `[^;\\s"'<>]{0,200}(?:;[ \\t]{0,4}[A-Za-z]{1,40}=[^;\\s"'<>]{0,256}){0,4};[ \\t]{0,4}${spec.keyName}=(?<secret>${spec.key})`,
    bodyMax: 200 + 4 * 302 + 6 + spec.keyName.length + 1 + 128,
    secretInBody: true,
    charset: /[^\s"'<>]/,
    post: '(?![A-Za-z0-9+/=])',
    positives: [spec.example],
    negatives: [`${spec.host}/;${spec.keyName}=<key>`, `see https://x${spec.host}/ for details`],
  });
}

export const azureDetectors: readonly DetectorDefinition[] = [
  connectionString({
    id: 'azure-cosmosdb-key',
    description:
      'Azure Cosmos DB account keys in connection strings (AccountEndpoint=https://….documents.azure.com…;AccountKey=…).',
    host: '.documents.azure.com',
    keyName: 'AccountKey',
    key: `${B64}{86}==`,
    example: (r) => {
      const secret = r.b64(86) + '==';
      return {
        text: `AccountEndpoint=https://acct${r.digits(3)}.documents.azure.com:443/;AccountKey=${secret};`,
        secret,
      };
    },
  }),
  connectionString({
    id: 'azure-service-bus-key',
    description:
      'Azure Service Bus and Event Hubs shared access keys in connection strings (Endpoint=sb://….servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…).',
    host: '.servicebus.windows.net',
    keyName: 'SharedAccessKey',
    key: `${B64}{43}=`,
    example: (r) => {
      const secret = r.b64(43) + '=';
      return {
        text: `Endpoint=sb://ns-${r.lower(6)}.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=${secret};EntityPath=orders`,
        secret,
      };
    },
  }),
  connectionString({
    id: 'azure-iot-hub-key',
    description:
      'Azure IoT Hub shared access keys in connection strings (HostName=….azure-devices.net;…;SharedAccessKey=…).',
    host: '.azure-devices.net',
    keyName: 'SharedAccessKey',
    key: `${B64}{43}=`,
    example: (r) => {
      const secret = r.b64(43) + '=';
      return {
        text: `HostName=hub-${r.lower(5)}.azure-devices.net;DeviceId=dev1;SharedAccessKey=${secret}`,
        secret,
      };
    },
  }),
  connectionString({
    id: 'azure-app-configuration-secret',
    description:
      'Azure App Configuration connection string secrets (Endpoint=https://….azconfig.io;Id=…;Secret=…).',
    host: '.azconfig.io',
    keyName: 'Secret',
    key: `${B64}{40,60}={0,2}`,
    example: (r) => {
      const secret = r.b64(43) + '=';
      return {
        text: `Endpoint=https://cfg-${r.lower(5)}.azconfig.io;Id=${r.b64(12)};Secret=${secret}`,
        secret,
      };
    },
  }),
  connectionString({
    id: 'azure-communication-key',
    description:
      'Azure Communication Services access keys (endpoint=https://….communication.azure.com/;accesskey=…).',
    host: '.communication.azure.com',
    keyName: '[Aa]ccess[Kk]ey',
    key: `${B64}{86}==`,
    example: (r) => {
      const secret = r.b64(86) + '==';
      return {
        text: `endpoint=https://acs-${r.lower(5)}.communication.azure.com/;accesskey=${secret}`,
        secret,
      };
    },
  }),
  connectionString({
    id: 'azure-signalr-key',
    description: 'Azure SignalR Service access keys (Endpoint=https://….service.signalr.net;AccessKey=…).',
    host: '.service.signalr.net',
    keyName: 'AccessKey',
    key: `${B64}{43}=`,
    example: (r) => {
      const secret = r.b64(43) + '=';
      return {
        text: `Endpoint=https://sig-${r.lower(5)}.service.signalr.net;AccessKey=${secret};Version=1.0;`,
        secret,
      };
    },
  }),
  token({
    id: 'azure-app-insights-key',
    description:
      'Azure Application Insights instrumentation keys (InstrumentationKey=<GUID> in connection strings).',
    keywords: ['InstrumentationKey='],
    ignoreCase: true,
    body: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    bodyMax: 36,
    bodyOnly: true,
    charset: /[0-9a-f-]/,
    positives: [
      (r) => {
        const secret = uuid(r);
        return {
          text: `APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey=${secret};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`,
          secret,
        };
      },
    ],
    negatives: ['InstrumentationKey=<key>', 'InstrumentationKey=00000000-0000-0000-0000-000000000000'],
  }),
  token({
    id: 'azure-functions-key',
    description: 'Azure Functions access keys in the x-functions-key header.',
    keywords: ['x-functions-key'],
    ignoreCase: true,
    body: '["\']?[ \\t]{0,4}[:=][ \\t]{0,4}["\']?(?<secret>[A-Za-z0-9_-]{40,60}={0,2})',
    bodyMax: 76,
    secretInBody: true,
    charset: /[A-Za-z0-9_=:"' \t-]/,
    post: '(?![A-Za-z0-9_=-])',
    positives: [
      (r) => {
        const secret = r.b64url(54) + '==';
        return { text: `curl -H "x-functions-key: ${secret}" https://fn.azurewebsites.net/api/run`, secret };
      },
    ],
    negatives: ['x-functions-key: <key>'],
  }),
  keyed({
    id: 'azure-devops-pat',
    description:
      'Azure DevOps personal access tokens (52 base32 characters, or 84 in the newer format) under AZURE_DEVOPS / ADO / AZDO / VSTS keys.',
    keywords: ['devops', 'azdo', 'ado_', 'vsts', 'system_accesstoken', 'system.accesstoken'],
    key: /(?:azure_?devops|(?:^|_)ado|azdo|vsts|system_access_?token).*(?:pat|token|key|password|secret)?$/,
    value: '[a-z2-7]{52}|[A-Za-z0-9]{84}',
    exampleKey: 'AZURE_DEVOPS_PAT',
    example: (r) => r.chars('abcdefghijklmnopqrstuvwxyz234567', 52),
  }),
  keyed({
    id: 'azure-openai-key',
    description:
      'Azure OpenAI and Azure AI services keys (32 hex or 84 characters) under AZURE_OPENAI_* / AZURE_AI_* keys.',
    keywords: [
      'azure_openai',
      'azureopenai',
      'azure-openai',
      'azure_ai',
      'azure_cognitive',
      'cognitive_services',
    ],
    key: /azure_?(?:open_?ai|ai|cognitive(?:_services)?)_?(?:api_?)?key|cognitive_services_?key/,
    value: '[a-f0-9]{32}|[A-Za-z0-9]{84}',
    exampleKey: 'AZURE_OPENAI_API_KEY',
    example: (r) => r.hex(32),
  }),
  keyed({
    id: 'azure-search-key',
    description:
      'Azure AI Search admin and query keys (52 characters, or 32 upper-case hex) under *SEARCH*_KEY keys.',
    keywords: ['search'],
    key: /search_?(?:service_?)?(?:admin_?|query_?|api_?)key/,
    value: '[A-Za-z0-9]{52}|[A-F0-9]{32}',
    exampleKey: 'AZURE_SEARCH_ADMIN_KEY',
    example: (r) => r.base62(52),
  }),
  keyed({
    id: 'azure-client-secret',
    description:
      'Microsoft Entra ID (Azure AD) application client secrets under AZURE_CLIENT_SECRET / ARM_CLIENT_SECRET / AAD / Entra keys (also the older 32–44 character forms).',
    keywords: ['client_secret', 'clientsecret', 'client-secret'],
    key: /(?:azure|arm|aad|entra|msal|ms_graph|graph)_?(?:ad_?)?client_?secret/,
    value: '[A-Za-z0-9_~.+/=-]{32,44}',
    exampleKey: 'AZURE_CLIENT_SECRET',
    example: (r) =>
      r.base62(3) +
      r.digits(1) +
      '8Q~' +
      r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-', 31),
  }),
];

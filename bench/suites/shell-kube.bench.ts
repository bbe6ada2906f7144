// What shell and Kubernetes classification cost beside the work they cannot avoid. Shell: a bare
// tree-sitter-bash parse of the same command lines is the baseline (the classifier parses, walks
// every node, removes quotes, follows wrappers and re-parses `sh -c` strings). Kubernetes: a
// plain `new URL()` parse of the same request targets is the baseline.
import { createRequire } from 'node:module';
import { classifyKubeRequest, classifyShellCommand, loadShellClassifier } from '@portcullis/core';
import type { KubeRequest } from '@portcullis/core';
import { Language, Parser } from 'web-tree-sitter';
import type { BenchSuite } from '../harness.js';

const commands = [
  'ls -la /var/log',
  'grep -i "error" /var/log/syslog | tail -n 50',
  'journalctl -u nginx --since "1 hour ago" --no-pager',
  'ps aux --sort=-%mem | head -20',
  'df -h && free -m && uptime',
  'find /var/log -name "*.gz" -mtime +7 -exec rm -f {} \\;',
  'sudo -u postgres psql -c "SELECT count(*) FROM pg_stat_activity"',
  'tar czf /tmp/backup-$(date +%F).tgz /etc/nginx 2>/dev/null',
  'bash -c \'for f in /etc/*.conf; do md5sum "$f"; done\' > /tmp/sums',
  'cat <<EOF > /tmp/note\nuser $(whoami) was here\nEOF',
  "kubectl get pods -A | awk '{print $2}' | xargs -n1 echo",
  'env LANG=C timeout 10 curl -fsS http://localhost:8080/healthz || systemctl restart app',
] as const;

const kubeRequests: readonly KubeRequest[] = [
  { type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/pods' },
  { type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/pods/web-1/log?container=app&tailLines=100' },
  { type: 'kube', method: 'GET', path: '/apis/apps/v1/namespaces/prod/deployments/web' },
  { type: 'kube', method: 'PATCH', path: '/apis/apps/v1/namespaces/prod/deployments/web/scale' },
  { type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/pods?watch=true&resourceVersion=123' },
  {
    type: 'kube',
    method: 'POST',
    path: '/api/v1/namespaces/prod/pods/web-1/exec?command=sh&stdin=true&tty=true',
  },
  { type: 'kube', method: 'DELETE', path: '/api/v1/namespaces/prod/secrets' },
  { type: 'kube', method: 'GET', path: '/version' },
  {
    type: 'kube',
    method: 'GET',
    path: '/api/v1/nodes',
    headers: { 'Impersonate-User': 'alice', 'Impersonate-Group': ['sre', 'oncall'] },
  },
  { type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/pods/../secrets/db' },
];

let parser: Parser | undefined;

export const suites: readonly BenchSuite[] = [
  {
    name: 'shell classification: 12 typical command lines',
    description: 'classifyShellCommand beside a bare tree-sitter-bash parse of the same texts.',
    notes: {
      commands: commands.length,
      characters: commands.reduce((n, c) => n + c.length, 0),
    },
    bytesPerOp: commands.reduce((n, c) => n + Buffer.byteLength(c), 0),
    setup: async () => {
      await loadShellClassifier();
      await Parser.init();
      const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
      parser = new Parser();
      parser.setLanguage(await Language.load(wasm));
      return undefined;
    },
    baseline: {
      name: 'tree-sitter parse (bare)',
      fn: () => {
        let nodes = 0;
        for (const c of commands) {
          const tree = parser?.parse(c);
          nodes += tree?.rootNode.descendantCount ?? 0;
          tree?.delete();
        }
        return nodes;
      },
    },
    tasks: [
      {
        name: 'classifyShellCommand',
        fn: () => {
          let actions = 0;
          for (const c of commands) actions += classifyShellCommand(c).length;
          return actions;
        },
      },
    ],
  },
  {
    name: 'Kubernetes classification: 10 API requests',
    description: 'classifyKubeRequest beside a plain new URL() parse of the same request targets.',
    notes: { requests: kubeRequests.length },
    baseline: {
      name: 'new URL() (bare)',
      fn: () => {
        let n = 0;
        for (const r of kubeRequests) n += new URL(r.path, 'https://cluster.local').pathname.length;
        return n;
      },
    },
    tasks: [
      {
        name: 'classifyKubeRequest',
        fn: () => {
          let actions = 0;
          for (const r of kubeRequests) actions += classifyKubeRequest(r).length;
          return actions;
        },
      },
    ],
  },
];

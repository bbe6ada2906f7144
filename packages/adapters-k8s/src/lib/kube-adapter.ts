// The executor and result shaper of the Kubernetes gate: forwards one allowed call to the API
// server with the real credential and masks what comes back before the client sees it.
import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { GateAdapter, GateRun, GateShaped } from '@portcullis/core';
import { WebSocket } from 'ws';
import { relayChannels, relayTunnel } from './channel-relay.js';
import type { KubeCall, KubeHttpCall, KubeUpgradeCall } from './kube-call.js';
import { kubeJsonMasker, maskKubeJson } from './mask-kube-json.js';
import { responsePlan } from './response-plan.js';
import { failureStatus } from './status.js';
import { toRequest } from './to-request.js';
import type { Upstream } from './upstream.js';

/** What forwarding one call produced, for the `result` event. */
export interface KubeRaw {
  /** The API server's HTTP status (101 for an upgrade it accepted). */
  readonly status: number;
  /** `json`, `watch`, `text`, `exec`, `tunnel`. */
  readonly mode: string;
  /** The masked JSON document the client received, for `json`. */
  readonly body?: unknown;
  /** Watch events relayed. */
  readonly events?: number;
  /** Bytes received from the API server (before masking). */
  readonly bytes: number;
  /** The exit status of an exec or attach, as the API server sent it. */
  readonly exit?: unknown;
  /** Port-forward byte counts and duration. */
  readonly tunnel?: {
    readonly bytesToPod: number;
    readonly bytesFromPod: number;
    readonly durationMs: number;
  };
}

/** Response headers worth passing on (all others are the API server's transport details). */
const PASSED_HEADERS = [
  'content-type',
  'cache-control',
  'audit-id',
  'warning',
  'location',
  'retry-after',
  'x-kubernetes-pf-flowschema-uid',
  'x-kubernetes-pf-prioritylevel-uid',
];

/** The longest line of a watch stream the gate holds while waiting for its end. */
const MAX_WATCH_LINE = 16 << 20;

/**
 * The gate adapter for Kubernetes calls: `toRequest` as classified, `execute` forwarding to
 * `upstream`, `shape` for the recording.
 */
export function kubeAdapter(upstream: Upstream): GateAdapter<KubeCall, KubeRaw, KubeRaw> {
  return {
    toRequest,
    execute: (call, run) =>
      call.kind === 'http' ? forwardHttp(call, run, upstream) : forwardUpgrade(call, run, upstream),
    shape(raw): GateShaped<KubeRaw> {
      const summary =
        raw.mode === 'exec'
          ? `exec ${JSON.stringify(raw.exit ?? null)}`
          : raw.mode === 'tunnel'
            ? `tunnel ${raw.tunnel?.bytesToPod ?? 0} bytes to the pod, ${raw.tunnel?.bytesFromPod ?? 0} from it, ${raw.tunnel?.durationMs ?? 0} ms`
            : `${raw.status} ${raw.mode}`;
      return {
        value: raw,
        record: {
          summary,
          ...(raw.body === undefined ? {} : { body: raw.body }),
          ...(raw.tunnel === undefined ? {} : { body: raw.tunnel }),
          ...(raw.mode === 'exec' ? { body: { exit: raw.exit ?? null, outputBytes: raw.bytes } } : {}),
          ...(raw.events === undefined ? {} : { rowCount: raw.events }),
        },
      };
    },
    capsHint: 'createKubeGate({ caps })',
  };
}

async function forwardHttp(call: KubeHttpCall, run: GateRun, upstream: Upstream): Promise<KubeRaw> {
  const target = await upstream.target();
  const headers: OutgoingHttpHeaders = { ...call.headers, ...target.headers } as OutgoingHttpHeaders;
  headers['host'] = target.origin.host;
  headers['accept-encoding'] = 'identity';
  if (call.body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(call.method)) {
    headers['content-length'] = String(call.body.length);
  }
  const send = target.origin.protocol === 'https:' ? httpsRequest : httpRequest;
  // Stopping (a cap, the session's end) destroys the upstream request, or its response once
  // there is one: a listener on the run rather than an AbortSignal, which would cost an
  // AbortController and its listeners on every request.
  let stopped: Error | undefined;
  let upstreamRequest: ClientRequest | undefined;
  let response: IncomingMessage | undefined;
  const unlisten = run.onStop((reason) => {
    stopped = reason;
    if (response === undefined) upstreamRequest?.destroy(reason);
    else response.destroy(reason);
  });
  // The client went away: what the API server still sends goes nowhere.
  const res = call.response;
  const destroy = (): void => {
    response?.destroy();
  };
  try {
    if (stopped !== undefined) throw stopped;
    response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send({
        protocol: target.origin.protocol,
        hostname: target.origin.hostname,
        port: target.origin.port,
        method: call.method,
        path: call.path,
        headers,
        agent: target.agent,
      });
      upstreamRequest = req;
      req.on('response', resolve);
      req.on('error', reject);
      req.end(call.body);
    });
    res.on('close', destroy);
    return await answerHttp(call, run, response);
  } finally {
    unlisten();
    res.off('close', destroy);
  }
}

/**
 * Answers the client from the API server's response: masked JSON, a masked watch, or masked
 * text, as the classified request says (see `responsePlan`).
 */
async function answerHttp(call: KubeHttpCall, run: GateRun, response: IncomingMessage): Promise<KubeRaw> {
  const res = call.response;
  const contentType = response.headers['content-type'] ?? '';
  const out: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = response.headers[name];
    if (typeof value === 'string') out[name] = run.masking.text(value);
  }
  const status = response.statusCode ?? 502;
  const plan = responsePlan(run.authorization.actions);
  // A watch the API server refused (403, 410, 500) is answered with one Status document.
  if (plan.relay === 'watch' && status >= 200 && status < 300) {
    res.writeHead(status, out);
    res.flushHeaders();
    return await relayWatch(response, res, run, plan.secrets, status);
  }
  // Whatever its content type says, an answer about Secrets is shown only as parsed and masked
  // JSON: the text masker knows no Secret rule.
  if (plan.secrets || (plan.relay !== 'text' && isJson(contentType))) {
    const text = await readAll(response, run);
    let body: unknown;
    let shown = '';
    // An empty answer (HEAD, 204) shows nothing there is to mask.
    if (text !== '') {
      body = parseAnswer(text, plan.secrets);
      body = maskKubeJson(body, (d) => run.masking.json(d), plan.secrets);
      shown = JSON.stringify(body);
    }
    res.writeHead(status, { ...out, 'content-length': String(Buffer.byteLength(shown)) });
    res.end(shown);
    return {
      status,
      mode: 'json',
      bytes: Buffer.byteLength(text),
      ...(body === undefined ? {} : { body }),
    };
  }
  res.writeHead(status, out);
  res.flushHeaders();
  return { status, mode: 'text', bytes: await relayText(response, res, run.output('body'), run) };
}

/**
 * One JSON document of an answer. Nothing of an answer that does not parse is shown (it is not
 * masked as text instead): for a Secrets request the text masker knows no Secret rule, and for
 * any other the profile's field rules by key name need the parsed document.
 */
function parseAnswer(text: string, secrets: boolean): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(
      secrets
        ? 'the API server answered a request for Secrets with something that is not JSON; the gate shows nothing of it'
        : 'the API server answered with JSON that does not parse; the gate shows nothing of it',
    );
  }
}

function isJson(contentType: string): boolean {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Relays a watch: each line is one event, parsed, masked and shown whole. A line that does not
 * parse ends the watch with an error, and nothing of it is shown.
 */
async function relayWatch(
  response: IncomingMessage,
  res: KubeHttpCall['response'],
  run: GateRun,
  secrets: boolean,
  status: number,
): Promise<KubeRaw> {
  const output = run.output('watch');
  // One masker for the whole watch: a Table watch names its columns in the first event only.
  const mask = kubeJsonMasker((d) => run.masking.json(d), secrets);
  let pending = '';
  let bytes = 0;
  let events = 0;
  const decoder = new TextDecoder('utf-8');
  const line = async (text: string): Promise<void> => {
    if (text.trim() === '') return;
    const shown = JSON.stringify(mask(parseAnswer(text, secrets)));
    events++;
    run.count(1, 0);
    const visible = await output.write(`${shown}\n`);
    if (visible !== '' && !res.write(visible)) await drained(res);
  };
  for await (const chunk of response as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    run.count(0, chunk.length);
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      await line(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_WATCH_LINE) throw new Error('a watch event was longer than the gate accepts');
    // Each event is shown whole as soon as it is complete: nothing of it can be a secret's start.
    const idle = await output.idle();
    if (idle !== '') res.write(idle);
  }
  await line(pending + decoder.decode());
  res.end(await output.end());
  return { status, mode: 'watch', bytes, events };
}

// A followed log pauses between lines: after this long without input, what can no longer be
// part of a secret is shown.
const IDLE_FLUSH_MS = 40;

/** Streams a text response (logs, proxied pages) through the masked output, flushing when it pauses. */
async function relayText(
  response: IncomingMessage,
  res: KubeHttpCall['response'],
  output: ReturnType<GateRun['output']>,
  run: GateRun,
): Promise<number> {
  let bytes = 0;
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const show = async (text: string): Promise<void> => {
    if (text !== '' && !res.write(text)) await drained(res);
  };
  // Each chunk is masked when it arrives and shown in order; reading runs one chunk ahead of
  // showing, so the next chunk is read while one is recorded and written to the response (and
  // no more than one chunk waits).
  const then = (masked: Promise<string>): Promise<void> => {
    masked.catch(() => undefined);
    const before = chain;
    chain = chain.then(async () => show(await masked));
    return before;
  };
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      run.count(0, chunk.length);
      clearTimeout(timer);
      await then(output.write(chunk));
      timer = setTimeout(() => {
        void then(output.idle()).catch(() => undefined);
      }, IDLE_FLUSH_MS);
    }
  } finally {
    clearTimeout(timer);
  }
  await chain;
  res.end(await output.end());
  return bytes;
}

/** Resolves when `res` can take more (or is gone): backpressure from the client to the API server. */
function drained(res: KubeHttpCall['response']): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The whole body of `response`, counted against the caps as it arrives. */
function readAll(response: IncomingMessage, run: GateRun): Promise<string> {
  // A small answer is usually complete by the time its headers are handled: its bytes are taken
  // from the stream's buffer at once, without waiting ticks for them to flow.
  if (response.destroyed) return Promise.reject(new Error('the API server response was cut off'));
  if (response.complete && response.readableFlowing !== true) {
    try {
      const chunks: Buffer[] = [];
      for (
        let chunk = response.read() as Buffer | null;
        chunk !== null;
        chunk = response.read() as Buffer | null
      ) {
        run.count(0, chunk.length);
        chunks.push(chunk);
      }
      return Promise.resolve(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      response.destroy();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  // Listeners rather than an async iterator: a Kubernetes object is one or two chunks, and the
  // iterator's machinery costs more than reading them.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const fail = (error: unknown): void => {
      response.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    response.on('data', (chunk: Buffer) => {
      try {
        run.count(0, chunk.length);
      } catch (error) {
        fail(error);
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => {
      resolve((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8'));
    });
    response.once('error', fail);
    // Destroyed before its end (stopped, the client went away, the connection dropped), even
    // when every byte had arrived.
    response.once('close', () => {
      if (!response.readableEnded) fail(new Error('the API server response was cut off'));
    });
  });
}

async function forwardUpgrade(call: KubeUpgradeCall, run: GateRun, upstream: Upstream): Promise<KubeRaw> {
  // Only exec, attach and port-forward are relayed: a WebSocket to any other path (a watch, a
  // proxied page) would carry responses the relay cannot mask.
  const operations = new Set(run.authorization.actions.map((a) => a.operation));
  const tunnel = operations.has('portforward');
  if (!tunnel && !operations.has('exec') && !operations.has('attach')) {
    const body = JSON.stringify(
      failureStatus(
        400,
        'BadRequest',
        'the Portcullis gate relays WebSocket upgrades only for exec, attach and portforward',
      ),
    );
    call.refuse(400, 'application/json', body);
    return { status: 400, mode: 'refused', bytes: 0 };
  }
  const target = await upstream.target();
  const scheme = target.origin.protocol === 'https:' ? 'wss:' : 'ws:';
  const headers: Record<string, string | string[]> = { ...call.headers, ...target.headers } as Record<
    string,
    string | string[]
  >;
  // The subprotocols are offered, and the API server's choice checked, here rather than by ws:
  // ws refuses names that are not HTTP tokens, and kubectl's port-forward tunnel is
  // `SPDY/3.1+portforward.k8s.io`.
  if (call.protocols.length > 0) headers['Sec-WebSocket-Protocol'] = call.protocols.join(', ');
  let protocol = '';
  let unlistenOpening = (): void => undefined;
  const socket = new WebSocket(`${scheme}//${target.origin.host}${call.path}`, {
    ...target.tls,
    headers,
    perMessageDeflate: false,
    followRedirects: false,
    maxPayload: 16 << 20,
  });
  const opened = await new Promise<
    { ok: true } | { ok: false; status: number; contentType: string; body: string }
  >((resolve, reject) => {
    socket.once('upgrade', (res: IncomingMessage) => {
      // Runs before ws checks the handshake: the choice is taken out of the answer so ws does
      // not see a subprotocol it did not offer itself, and the handshake is abandoned unless
      // the API server chose exactly one of the offered subprotocols (or none was offered).
      const answer = res.headers['sec-websocket-protocol'];
      delete res.headers['sec-websocket-protocol'];
      if (answer === undefined ? call.protocols.length === 0 : call.protocols.includes(answer)) {
        protocol = answer ?? '';
        return;
      }
      reject(new Error('the API server answered the upgrade with a subprotocol that was not offered'));
      socket.terminate();
    });
    socket.once('open', () => {
      // Hold what the API server sends until the relay listens (ws drops unheard messages).
      socket.pause();
      resolve({ ok: true });
    });
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      void readAll(res, run).then((body) => {
        resolve({
          ok: false,
          status: res.statusCode ?? 502,
          contentType: res.headers['content-type'] ?? 'text/plain',
          body,
        });
      }, reject);
    });
    socket.once('error', reject);
    unlistenOpening = run.onStop((reason) => {
      reject(reason);
      socket.terminate();
    });
  }).finally(() => {
    unlistenOpening();
  });
  if (!opened.ok) {
    // The same rule as for an HTTP answer: JSON (and anything about Secrets) only as parsed
    // and masked JSON, other refusals (an error page) masked as text.
    const plan = responsePlan(run.authorization.actions);
    const shown =
      plan.secrets || isJson(opened.contentType)
        ? JSON.stringify(
            maskKubeJson(parseAnswer(opened.body, plan.secrets), (d) => run.masking.json(d), plan.secrets),
          )
        : run.masking.text(opened.body);
    call.refuse(opened.status, opened.contentType, shown);
    return { status: opened.status, mode: 'refused', bytes: opened.body.length };
  }
  const client = await call.accept(protocol);
  const abort = (): void => {
    client.close(1011, 'the request passed a cap or the session ended');
    socket.close(1011);
  };
  const unlisten = run.onStop(abort);
  try {
    if (tunnel) {
      const tunnel = await relayTunnel(client, socket, (bytes) => {
        run.count(0, bytes);
      });
      return { status: 101, mode: 'tunnel', bytes: tunnel.bytesFromPod, tunnel };
    }
    const summary = await relayChannels(client, socket, {
      stdout: run.output('stdout'),
      stderr: run.output('stderr'),
      stdin: run.output('stdin'),
    });
    return { status: 101, mode: 'exec', bytes: summary.outputBytes, exit: summary.status ?? null };
  } finally {
    unlisten();
  }
}

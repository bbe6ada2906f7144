// Kubernetes-aware masking of API responses. Secret values are base64 (`data`) or free text
// (`stringData`) that no content detector can be trusted to recognise, so every value of a
// Secret is replaced whatever the profile says, and so is the copy of the whole object that
// `kubectl apply` keeps in an annotation. Everything else (ConfigMaps included) goes through the
// policy's masking profile: field rules by key name and content detection on every string.

/** What replaces each value of a Secret. */
export const SECRET_VALUE = '[REDACTED:kubernetes-secret]';

/** The annotation where client-side apply keeps the last applied object, Secret data included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, unknown>;

/**
 * Masks one decoded API response (an object, a list, a Table, a watch event or a Status):
 * Secrets lose every `data`/`stringData` value and their last-applied annotation, then `json`
 * (the profile's masking) runs over the whole document. `secrets` says the request was for
 * Secrets, so list items without a `kind` are Secrets too.
 *
 * @example
 * ```ts
 * maskKubeJson({ kind: 'Secret', data: { password: 'aHVudGVyMg==' } }, plan.json, false);
 * // → { kind: 'Secret', data: { password: '[REDACTED:kubernetes-secret]' } }
 * ```
 */
export function maskKubeJson(
  document: unknown,
  json: (document: unknown) => unknown,
  secrets: boolean,
): unknown {
  return json(hideSecrets(document, secrets, 0));
}

/** `node` with every Secret value hidden; the same node, not a copy, when nothing in it was. */
function hideSecrets(node: unknown, secrets: boolean, depth: number): unknown {
  if (depth > 64 || typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      const hidden = hideSecrets(item, secrets, depth + 1);
      if (hidden !== item) (out ??= node.slice())[i] = hidden;
    }
    return out ?? node;
  }
  const object = node as Json;
  const kind = object['kind'];
  const isSecret = kind === 'Secret' || (kind === undefined && secrets && 'metadata' in object);
  const inner = secrets || kind === 'SecretList';
  let out: Json | undefined;
  for (const key of Object.keys(object)) {
    const value = object[key];
    const hidden =
      isSecret && (key === 'data' || key === 'stringData')
        ? hideValues(value)
        : isSecret && key === 'metadata'
          ? hideLastApplied(value)
          : hideSecrets(value, inner, depth + 1);
    if (hidden !== value) (out ??= { ...object })[key] = hidden;
  }
  return out ?? object;
}

function hideValues(values: unknown): unknown {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return SECRET_VALUE;
  const out: Json = {};
  for (const key of Object.keys(values)) out[key] = SECRET_VALUE;
  return out;
}

function hideLastApplied(metadata: unknown): unknown {
  if (typeof metadata !== 'object' || metadata === null) return metadata;
  const annotations = (metadata as Json)['annotations'];
  if (typeof annotations !== 'object' || annotations === null || !(LAST_APPLIED in annotations))
    return metadata;
  return { ...(metadata as Json), annotations: { ...(annotations as Json), [LAST_APPLIED]: SECRET_VALUE } };
}

import {
  createMasker,
  DeniedError,
  PortcullisError,
  ReviewRequiredError,
  type Masker,
} from '@portcullis/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const fallbackMasker: Masker = createMasker();

/** A successful tool result: the data as structured content, and a readable text part. */
export function ok(structured: Record<string, unknown>, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/**
 * A failed request as a tool result (`isError`), never an exception that would end the
 * client's connection: a denial with its reasons, a pending review with its approval id and what
 * to do next, or another failure with its (masked) message.
 */
export function failed(err: unknown, masker: Masker = fallbackMasker): CallToolResult {
  if (err instanceof ReviewRequiredError) {
    const reasons = err.decision.reasons;
    const text = [
      `Needs approval (${err.code}); approval id ${err.approvalId}.`,
      ...reasons.map((r) => `- ${r}`),
      `Ask an approver (in the approval console, or \`portcullis approvals approve ${err.approvalId}\`), poll approval_status with this id, and send the same request again once it is approved.`,
    ].join('\n');
    return {
      isError: true,
      content: [{ type: 'text', text }],
      structuredContent: {
        decision: 'review',
        code: err.code,
        approvalId: err.approvalId,
        reasons: [...reasons],
      },
    };
  }
  if (err instanceof DeniedError) {
    const reasons = err.decision.reasons;
    const text = [`Denied (${err.code}).`, ...reasons.map((r) => `- ${r}`)].join('\n');
    return {
      isError: true,
      content: [{ type: 'text', text }],
      structuredContent: { decision: 'deny', code: err.code, reasons: [...reasons] },
    };
  }
  if (err instanceof PortcullisError) {
    return {
      isError: true,
      content: [{ type: 'text', text: `${err.code}: ${err.message}` }],
      structuredContent: { code: err.code, message: err.message },
    };
  }
  // A driver's error (already masked by the adapter), or anything else: masked again, so no
  // value it echoes reaches the model.
  const message = masker.maskText(err instanceof Error ? err.message : String(err)).text;
  return {
    isError: true,
    content: [{ type: 'text', text: `The request failed: ${message}` }],
    structuredContent: { code: 'ERR_REQUEST_FAILED', message },
  };
}

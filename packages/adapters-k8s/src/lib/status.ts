// Kubernetes `Status` objects (meta/v1) for what the gate answers itself, shaped so that
// kubectl prints `Error from server (Forbidden): <message>` and client-node raises an
// ApiException whose body is the Status.
import { PortcullisError, ReviewRequiredError } from '@portcullis/core';

/** A Kubernetes `Status` failure. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: {
    readonly causes?: readonly { readonly reason: string; readonly message: string; readonly field?: string }[];
  };
}

/** A `Status` failure with this code, reason and message. */
export function failureStatus(code: number, reason: string, message: string): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/**
 * The `Status` for an enforcement outcome: `403 Forbidden` with the error's message for a
 * denial or a pending review (whose approval id is also a cause, field `approvalId`); any other
 * failure is a `403` that says only that the gate refused, with the error's code.
 */
export function outcomeStatus(error: unknown): KubeStatus {
  if (error instanceof ReviewRequiredError) {
    return {
      ...failureStatus(403, 'Forbidden', error.message),
      details: {
        causes: [
          { reason: error.code, message: error.approvalId, field: 'approvalId' },
        ],
      },
    };
  }
  if (error instanceof PortcullisError) {
    return {
      ...failureStatus(403, 'Forbidden', error.message),
      details: { causes: [{ reason: error.code, message: error.message }] },
    };
  }
  return failureStatus(502, 'InternalError', 'the Portcullis gate could not complete the request');
}

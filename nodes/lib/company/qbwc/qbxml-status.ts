/**
 * Classification of qbXML status codes (qbwc.md §3.4). Severity alone is not trusted: a real 3210 came
 * back with statusSeverity="Info", so any code ≥ 1000 is an error whatever its severity.
 */
import type { QbxmlResponseMessage } from './qbxml-parse';

export type StatusKind = 'ok' | 'warning' | 'error';

export interface QbxmlStatus {
  code: number;
  severity: string;
  message: string;
  kind: StatusKind;
  /** Short stable name of a known code, e.g. `nameInUse`; `unknown` otherwise. */
  reason: string;
  /** The same request may succeed later unchanged (record in use / list modified by another user). */
  retryable: boolean;
}

/** Known status codes → stable reason names. */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  0: 'ok',
  1: 'noMatch',
  500: 'notFound',
  1030: 'unsupportedRequest',
  3000: 'invalidId',
  3020: 'invalidDate',
  3040: 'invalidAmount',
  3070: 'stringTooLong',
  3100: 'nameInUse',
  3120: 'objectNotFound',
  3140: 'invalidReference',
  3150: 'missingElement',
  3170: 'modifyFailed',
  3171: 'closingDate',
  3175: 'recordInUse',
  3176: 'recordInUse',
  3180: 'saveFailed',
  3200: 'editSequenceOutOfDate',
  3210: 'invalidValue',
  3220: 'notAuthorized',
  3231: 'requestNotProcessed',
  3250: 'featureNotEnabled',
  3260: 'insufficientPermission',
  3261: 'personalDataDenied',
  3263: 'readOnlyAccess',
  3270: 'missingPostingAccount',
  3391: 'iteratorInvalid',
};

const RETRYABLE = new Set([3170, 3175, 3176, 3180, 3231]);

/**
 * 0 → ok; 1 (no match) and 500 (required element not found) and any other `Warn` → warning;
 * severity `Error` or any code ≥ 1000 → error; any other non-zero code → warning.
 */
export function classifyStatus(code: number, severity = '', message = ''): QbxmlStatus {
  let kind: StatusKind;
  if (severity === 'Error') kind = 'error';
  else if (code === 0) kind = 'ok';
  else if (code === 1 || code === 500) kind = 'warning';
  else if (code >= 1000 || !Number.isFinite(code)) kind = 'error';
  else kind = 'warning';
  return {
    code,
    severity,
    message,
    kind,
    reason: STATUS_REASONS[code] ?? 'unknown',
    retryable: RETRYABLE.has(code),
  };
}

/** Classifies a parsed response message. */
export function messageStatus(msg: QbxmlResponseMessage): QbxmlStatus {
  return classifyStatus(msg.statusCode, msg.statusSeverity, msg.statusMessage);
}

/** A QuickBooks error answer, keeping its code and message (design: "QuickBooks' own errors keep their code"). */
export class QbxmlStatusError extends Error {
  readonly code: number;
  readonly severity: string;
  readonly reason: string;
  readonly retryable: boolean;
  readonly requestID?: string;
  readonly messageName?: string;
  constructor(status: QbxmlStatus, msg?: QbxmlResponseMessage) {
    super(`QuickBooks ${status.code}${msg ? ` (${msg.name}${msg.requestID !== undefined ? ` ${msg.requestID}` : ''})` : ''}: ${status.message}`);
    this.name = 'QbxmlStatusError';
    this.code = status.code;
    this.severity = status.severity;
    this.reason = status.reason;
    this.retryable = status.retryable;
    if (msg?.requestID !== undefined) this.requestID = msg.requestID;
    if (msg) this.messageName = msg.name;
  }
}

/** Throws QbxmlStatusError when the message is an error; returns its status otherwise. */
export function assertNotError(msg: QbxmlResponseMessage): QbxmlStatus {
  const status = messageStatus(msg);
  if (status.kind === 'error') throw new QbxmlStatusError(status, msg);
  return status;
}

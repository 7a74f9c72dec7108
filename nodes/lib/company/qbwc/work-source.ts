/**
 * The contract between the Web Connector SOAP service and whatever holds the work (the durable job
 * queue). The service owns the protocol (tickets, credentials, call order, answer shapes); the work
 * source owns the jobs. Every method may throw or reject: the service answers the Web Connector
 * correctly anyway and records the failure for getLastError.
 */
import type { SessionHome } from './sessions';

export type { SessionHome } from './sessions';

/** What the Web Connector tells us with every sendRequestXML call. */
export interface SendRequestContext {
  /** qbXML HostQuery/CompanyQuery/PreferencesQuery response; only on the first call of a session, otherwise "". */
  hcpResponse: string;
  /** Path of the company file QuickBooks has open. */
  companyFile: string;
  /** e.g. "US", "CA", "UK". */
  country: string;
  /** Highest qbXML version the request processor supports (e.g. 13 and 0). */
  qbXMLMajorVersion: number;
  qbXMLMinorVersion: number;
}

/** What came back for the last request: a qbXML response, or an hresult + message when the request processor failed. */
export interface ReceivedResponse {
  /** The qbXML response ("" when the request processor failed). */
  xml: string;
  /** e.g. "0x80040400" when the request processor failed, otherwise "". */
  hresult: string;
  /** The request processor's message, otherwise "". */
  message: string;
}

export type SessionEndReason = 'closed' | 'expired' | 'error';

export interface QbwcWorkSource {
  /**
   * Company file to open: returned as the second authenticate entry. "" or undefined means
   * "the company currently open in QuickBooks".
   */
  readonly companyFile?: string;
  /**
   * Where the service keeps its Web Connector sessions: the work source's store, so that every instance
   * sharing it answers any call of a session. Default: this process's memory.
   */
  readonly sessionHome?: SessionHome;
  /** Is at least one request ready? Asked on every authenticate; false answers "none". */
  hasWork(): Promise<boolean>;
  /** A session that will do work starts (called during authenticate, before the answer is sent). */
  beginSession(ticket: string): Promise<void>;
  /** The next qbXML request for this session, or null when nothing (more) is ready. */
  nextRequest(ticket: string, context: SendRequestContext): Promise<string | null>;
  /**
   * The answer to the request last returned by nextRequest. percent: integer 0..100 (100 = this
   * session is done), or negative to stop the session with an error (then lastError explains).
   */
  handleResponse(ticket: string, response: ReceivedResponse): Promise<{ percent: number }>;
  /** QuickBooks could not be opened (e.g. hresult 0x80040408). The session ends right after (endSession 'error'). */
  connectionError(ticket: string, hresult: string, message: string): Promise<void>;
  /**
   * The session is over: 'closed' by closeConnection, 'expired' after the idle timeout (the Web
   * Connector died) or when the service is closed, 'error' after connectionError or a failed start.
   * A returned non-empty string becomes the closeConnection answer shown in the Web Connector.
   */
  endSession(ticket: string, reason: SessionEndReason): Promise<string | void>;
  /** Human-readable description of the last failure of this session ("" if none). */
  lastError(ticket: string): string | Promise<string>;
}

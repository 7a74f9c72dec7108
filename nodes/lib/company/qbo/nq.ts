/**
 * The narrow slice of node-quickbooks 2.0.50 we use, typed by hand (its bundled d.ts is wrong in places: qbo.md §1.1),
 * and a promise wrapper that keeps the axios response (for intuit_tid) and normalises errors.
 */
import { normalizeError } from './errors';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type NqCallback = (err: any, data: any, res: any) => void;

export interface NqInstance {
  endpoint: string;
  token: string;
  refreshToken: string | null;
  batch(items: unknown[], cb: NqCallback): void;
  changeDataCapture(entities: string[] | string, since: string, cb: NqCallback): void;
  refreshAccessToken(cb: NqCallback): void;
  [method: string]: any;
}

export interface NqConstructor {
  new (options: {
    consumerKey: string;
    consumerSecret: string;
    token: string;
    tokenSecret: false;
    realmId: string;
    useSandbox: boolean;
    debug: false;
    minorversion: number;
    oauthversion: '2.0';
    refreshToken: string | null;
  }): NqInstance;
  TOKEN_URL: string;
}

// module.exports = QuickBooks (no .default); never call setOauthVersion('2.0') (network fetch).
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const QuickBooks = require('node-quickbooks') as NqConstructor;

export interface NqResult<T> {
  data: T;
  intuitTid?: string;
}

/** Calls one callback-style node-quickbooks method; rejects with a QboError. Synchronous throws are caught too. */
export function nqCall<T>(invoke: (cb: NqCallback) => void): Promise<NqResult<T>> {
  return new Promise((resolve, reject) => {
    try {
      invoke((err, data, res) => {
        if (err) reject(normalizeError(err, data, res));
        else resolve({ data: data as T, intuitTid: res?.headers?.intuit_tid });
      });
    } catch (err) {
      reject(normalizeError(err));
    }
  });
}

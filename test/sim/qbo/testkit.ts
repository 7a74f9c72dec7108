/**
 * Small helpers for the simulator's own tests: raw HTTP calls with a bearer token, and a seeded company.
 */
import type { QboSimulator } from './server';

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Calls the simulator's API at `/v3/company/{realm}/{path}` with the given access token. */
export async function call(sim: QboSimulator, token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawAnswer> {
  const res = await fetch(`${sim.apiBase}${sim.realmId}/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Runs a query through GET /query. */
export function query(sim: QboSimulator, token: string, q: string): Promise<RawAnswer> {
  return call(sim, token, 'GET', `query?query=${encodeURIComponent(q)}&minorversion=75`);
}

/** Seeds an income account and returns its Id. */
export function incomeAccount(sim: QboSimulator): string {
  return sim.seed('Account', [{ Name: `Income ${Math.random()}`, AccountType: 'Income' }])[0].Id as string;
}

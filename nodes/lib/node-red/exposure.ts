import fs from 'node:fs';
import type { PerimeterOptions } from '../http/perimeter';

/**
 * Authentication and TLS for `npm start` (scripts/settings.js), from the environment (README,
 * "Running it where others can reach it"):
 * - the editor and admin API: Node-RED's `adminAuth` with an admin (every permission) and an optional
 *   viewer (read only: can look, cannot deploy or act);
 * - the flows' REST endpoints: a bearer token and/or a user and password (the Web Connector's SOAP
 *   paths stay open: the Web Connector authenticates inside SOAP);
 * - TLS from certificate and key files.
 */
export interface ExposureEnv {
  HOST?: string;
  QB_ADMIN_USER?: string;
  QB_ADMIN_PASSWORD?: string;
  QB_ADMIN_PASSWORD_HASH?: string;
  QB_VIEWER_USER?: string;
  QB_VIEWER_PASSWORD?: string;
  QB_VIEWER_PASSWORD_HASH?: string;
  QB_API_TOKEN?: string;
  QB_API_USER?: string;
  QB_API_PASSWORD?: string;
  QB_CORS_ORIGINS?: string;
  QB_MAX_BODY_BYTES?: string;
  QB_TLS_CERT?: string;
  QB_TLS_KEY?: string;
  [key: string]: string | undefined;
}

export interface AdminUser {
  username: string;
  password: string;
  permissions: '*' | 'read';
}

export interface ExposureSettings {
  adminAuth?: { type: 'credentials'; users: AdminUser[] };
  https?: { cert: Buffer; key: Buffer };
  http: PerimeterOptions;
}

/** A configuration that cannot be started, with what to set. */
export class ExposureError extends Error {
  override name = 'ExposureError';
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

/** Whether Node-RED listening on `host` is reachable only from this machine. */
export function isLoopback(host: string | undefined): boolean {
  return !host || LOOPBACK.test(host.trim());
}

function set(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** bcrypt hashes as Node-RED's `node-red admin hash-pw` prints them. */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

function user(kind: 'ADMIN' | 'VIEWER', env: ExposureEnv, hash: (password: string) => string, permissions: AdminUser['permissions']): AdminUser | undefined {
  const name = set(env[`QB_${kind}_USER`]);
  const hashed = set(env[`QB_${kind}_PASSWORD_HASH`]);
  const plain = set(env[`QB_${kind}_PASSWORD`]);
  if (!name && !hashed && !plain) return undefined;
  if (!name) throw new ExposureError(`QB_${kind}_PASSWORD is set without QB_${kind}_USER: set both`);
  if (hashed && !BCRYPT.test(hashed)) throw new ExposureError(`QB_${kind}_PASSWORD_HASH is not a bcrypt hash (make one with: npx node-red admin hash-pw)`);
  if (!hashed && !plain) throw new ExposureError(`QB_${kind}_USER is set without a password: set QB_${kind}_PASSWORD or QB_${kind}_PASSWORD_HASH`);
  if (plain && plain.length < 8) throw new ExposureError(`QB_${kind}_PASSWORD is shorter than 8 characters`);
  return { username: name, password: hashed ?? hash(plain!), permissions };
}

/**
 * The settings the environment asks for. Throws an ExposureError naming what to set when the
 * configuration is incomplete, or when Node-RED would listen beyond this machine (`HOST` not loopback)
 * without authentication on the editor and on the flows' endpoints.
 */
export function exposureSettings(env: ExposureEnv, hash: (password: string) => string, readFile: (file: string) => Buffer = (f) => fs.readFileSync(f)): ExposureSettings {
  const admin = user('ADMIN', env, hash, '*');
  const viewer = user('VIEWER', env, hash, 'read');
  if (viewer && !admin) throw new ExposureError('QB_VIEWER_USER needs QB_ADMIN_USER too (someone must be able to deploy)');
  const token = set(env.QB_API_TOKEN);
  if (token && token.length < 16) throw new ExposureError('QB_API_TOKEN is shorter than 16 characters');
  const apiUser = set(env.QB_API_USER);
  const apiPassword = set(env.QB_API_PASSWORD);
  if (!!apiUser !== !!apiPassword) throw new ExposureError('set both QB_API_USER and QB_API_PASSWORD, or neither');
  const maxBody = set(env.QB_MAX_BODY_BYTES);
  if (maxBody !== undefined && !/^\d{1,10}$/.test(maxBody)) throw new ExposureError('QB_MAX_BODY_BYTES must be a number of bytes');

  const http: PerimeterOptions = {
    token,
    user: apiUser,
    password: apiPassword,
    corsOrigins: (set(env.QB_CORS_ORIGINS) ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    maxBodyBytes: maxBody ? Number(maxBody) : undefined,
  };
  const settings: ExposureSettings = { http };
  if (admin) settings.adminAuth = { type: 'credentials', users: viewer ? [admin, viewer] : [admin] };

  const cert = set(env.QB_TLS_CERT);
  const key = set(env.QB_TLS_KEY);
  if (!!cert !== !!key) throw new ExposureError('set both QB_TLS_CERT and QB_TLS_KEY (certificate and private key files), or neither');
  if (cert && key) {
    try {
      settings.https = { cert: readFile(cert), key: readFile(key) };
    } catch (err) {
      throw new ExposureError(`cannot read the TLS ${(err as NodeJS.ErrnoException).path === key ? 'key' : 'certificate'} file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  if (!isLoopback(env.HOST)) {
    const missing: string[] = [];
    if (!admin) missing.push('QB_ADMIN_USER and QB_ADMIN_PASSWORD (the editor and admin API)');
    if (!token && !apiUser) missing.push('QB_API_TOKEN, or QB_API_USER and QB_API_PASSWORD (the flows\' REST endpoints)');
    if (missing.length) {
      throw new ExposureError(`HOST=${env.HOST} makes Node-RED reachable from other machines, and nothing asks who is calling: set ${missing.join(', and ')}; or keep HOST=127.0.0.1. See the README, "Running it where others can reach it".`);
    }
  }
  return settings;
}

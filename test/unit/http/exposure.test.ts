/** Authentication and TLS from the environment for `npm start`, and the refusal to start exposed without it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExposureError, exposureSettings, isLoopback } from '../../../nodes/lib/node-red/exposure';

const hash = (p: string) => `hashed(${p})`;

describe('exposureSettings', () => {
  it('is open on loopback when nothing is set', () => {
    const s = exposureSettings({}, hash);
    assert.equal(s.adminAuth, undefined);
    assert.equal(s.https, undefined);
    assert.deepEqual(s.http.corsOrigins, []);
    assert.ok(isLoopback('127.0.0.1') && isLoopback('localhost') && isLoopback('::1') && !isLoopback('0.0.0.0'));
  });

  it('builds adminAuth with an admin and a read-only viewer, hashing plain passwords or taking bcrypt hashes', () => {
    const bcrypt = '$2b$10$' + 'a'.repeat(53);
    const s = exposureSettings({ QB_ADMIN_USER: 'admin', QB_ADMIN_PASSWORD: 'long-password', QB_VIEWER_USER: 'viewer', QB_VIEWER_PASSWORD_HASH: bcrypt }, hash);
    assert.deepEqual(s.adminAuth, {
      type: 'credentials',
      users: [{ username: 'admin', password: 'hashed(long-password)', permissions: '*' }, { username: 'viewer', password: bcrypt, permissions: 'read' }],
    });
  });

  it('takes the flows\' token, basic credentials, CORS origins and body limit', () => {
    const s = exposureSettings({ QB_API_TOKEN: 'x'.repeat(20), QB_API_USER: 'app', QB_API_PASSWORD: 'pw', QB_CORS_ORIGINS: 'https://a.example, https://b.example', QB_MAX_BODY_BYTES: '1000' }, hash);
    assert.deepEqual(s.http, { token: 'x'.repeat(20), user: 'app', password: 'pw', corsOrigins: ['https://a.example', 'https://b.example'], maxBodyBytes: 1000 });
  });

  it('reads the TLS certificate and key files', () => {
    const files: Record<string, string> = { '/c.pem': 'CERT', '/k.pem': 'KEY' };
    const s = exposureSettings({ QB_TLS_CERT: '/c.pem', QB_TLS_KEY: '/k.pem' }, hash, (f) => Buffer.from(files[f]!));
    assert.equal(s.https?.cert.toString(), 'CERT');
    assert.equal(s.https?.key.toString(), 'KEY');
    assert.throws(() => exposureSettings({ QB_TLS_CERT: '/c.pem' }, hash), ExposureError);
  });

  it('refuses incomplete settings, naming what to set', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ QB_ADMIN_USER: 'admin' }, /QB_ADMIN_PASSWORD/],
      [{ QB_ADMIN_PASSWORD: 'long-password' }, /QB_ADMIN_USER/],
      [{ QB_ADMIN_USER: 'a', QB_ADMIN_PASSWORD: 'short' }, /shorter than 8/],
      [{ QB_ADMIN_USER: 'a', QB_ADMIN_PASSWORD_HASH: 'plain' }, /not a bcrypt hash/],
      [{ QB_VIEWER_USER: 'v', QB_VIEWER_PASSWORD: 'long-password' }, /needs QB_ADMIN_USER/],
      [{ QB_API_TOKEN: 'short' }, /shorter than 16/],
      [{ QB_API_USER: 'app' }, /QB_API_PASSWORD/],
      [{ QB_MAX_BODY_BYTES: 'lots' }, /number of bytes/],
    ];
    for (const [env, message] of bad) assert.throws(() => exposureSettings(env, hash), (e: Error) => e instanceof ExposureError && message.test(e.message), JSON.stringify(env));
  });

  it('refuses a HOST beyond this machine without authentication on the editor and on the endpoints', () => {
    assert.throws(() => exposureSettings({ HOST: '0.0.0.0' }, hash), /QB_ADMIN_USER and QB_ADMIN_PASSWORD.*QB_API_TOKEN/);
    assert.throws(() => exposureSettings({ HOST: '0.0.0.0', QB_ADMIN_USER: 'a', QB_ADMIN_PASSWORD: 'long-password' }, hash), /QB_API_TOKEN/);
    const ok = exposureSettings({ HOST: '0.0.0.0', QB_ADMIN_USER: 'a', QB_ADMIN_PASSWORD: 'long-password', QB_API_TOKEN: 'y'.repeat(16) }, hash);
    assert.ok(ok.adminAuth);
  });
});

/**
 * Issue 10, item 5: wrong Web Connector passwords are logged (user name and source address, never the
 * password) and slowed down per user and address; the right password logs in again after the lockout.
 * Driven over real HTTP (SOAP authenticate), from two loopback source addresses.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { LoginThrottle } from '../../../nodes/lib/company/qbwc/login-throttle';
import { parseAnswer, requestEnvelope } from '../../sim/qbwc';
import { FakeWorkSource, PASSWORD, SOAP_HEADERS, USER, startService, type Running } from './service-helpers';

const WRONG = 'Wr0ng-Guess-Of-The-Password';
const LOCK_MS = 60_000;

/** authenticate from a given loopback source address; resolves with the answer's status string. */
function authenticate(url: string, user: string, password: string, localAddress = '127.0.0.1'): Promise<string> {
  const body = requestEnvelope('authenticate', [
    ['strUserName', user],
    ['strPassword', password],
  ]);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: SOAP_HEADERS('authenticate'), localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const parsed = parseAnswer(Buffer.concat(chunks).toString('utf8'), 'authenticate', true);
          assert.equal(parsed.kind, 'array');
          resolve(parsed.kind === 'array' ? String(parsed.values[1]) : '');
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('qbwc authenticate: failed log-ins are logged and throttled per user and address', () => {
  let running: Running;
  let clock = 1_000_000;
  const logs: Array<{ level: string; message: string }> = [];

  before(async () => {
    const work = new FakeWorkSource(0); // nothing queued: a right password answers "none"
    running = await startService(work, {
      log: (level, message) => logs.push({ level, message }),
      loginThrottle: { freeFailures: 5, baseLockMs: LOCK_MS, maxLockMs: 10 * LOCK_MS, now: () => clock },
    });
  });
  after(() => running.close());
  beforeEach(() => {
    logs.length = 0;
  });

  it('500 wrong passwords: all answered nvu, each checked failure logged with user and address, then locked out', async () => {
    const started = Date.now();
    for (let i = 0; i < 500; i++) assert.equal(await authenticate(running.url, USER, `${WRONG}${i}`), 'nvu');
    const failures = logs.filter((l) => /authentication failed for user "nodered-qb" from 127\.0\.0\.1 /.test(l.message));
    assert.equal(failures.length, 6, 'five free failures and the one that starts the lockout are checked and logged');
    assert.match(failures[5].message, /failure 6\); further attempts are refused for 60 s/);
    const refused = logs.filter((l) => /log-in for user "nodered-qb" from 127\.0\.0\.1 refused without checking the password/.test(l.message));
    assert.equal(refused.length, 1, 'the unchecked refusals are logged once per lockout, not 494 times');
    assert.ok(logs.length <= 8, `bounded log: ${logs.length} lines`);
    for (const l of logs) {
      assert.equal(l.level, 'warn');
      assert.ok(!l.message.includes(WRONG) && !l.message.includes(PASSWORD), 'never the password');
    }
    assert.equal(running.service.operations.logins.size, 1, 'one pair remembered');
    assert.ok(Date.now() - started < 60_000, 'sanity: the loop finished');
  });

  it('the right password is refused (unchecked) during the lockout, from the same user and address', async () => {
    assert.equal(await authenticate(running.url, USER, PASSWORD), 'nvu');
  });

  it('another address and another user name are not affected by the lockout', async () => {
    assert.equal(await authenticate(running.url, USER, PASSWORD, '127.0.0.2'), 'none', 'same user from another address logs in');
    assert.equal(await authenticate(running.url, 'someone-else', WRONG), 'nvu');
    assert.ok(logs.some((l) => /authentication failed for user "someone-else" from 127\.0\.0\.1 \(invalid username or password, failure 1\)$/.test(l.message)));
  });

  it('after the lockout window the right password logs in and the pair starts afresh', async () => {
    clock += LOCK_MS + 1;
    assert.equal(await authenticate(running.url, USER, PASSWORD), 'none');
    assert.equal(await authenticate(running.url, USER, WRONG), 'nvu');
    assert.ok(logs.some((l) => /from 127\.0\.0\.1 \(invalid username or password, failure 1\)$/.test(l.message)), 'counting restarted');
  });

  it('a wrong password after a lockout doubles the next one (exponential backoff)', async () => {
    for (let i = 0; i < 5; i++) await authenticate(running.url, USER, WRONG); // failures 2..6: locked 60 s
    clock += LOCK_MS + 1;
    logs.length = 0;
    assert.equal(await authenticate(running.url, USER, WRONG), 'nvu'); // failure 7: locked 120 s
    assert.match(logs[0].message, /failure 7\); further attempts are refused for 120 s/);
    clock += LOCK_MS + 1;
    assert.equal(await authenticate(running.url, USER, PASSWORD), 'nvu', 'still locked after 60 s');
    clock += LOCK_MS;
    assert.equal(await authenticate(running.url, USER, PASSWORD), 'none', 'in after 120 s');
  });
});

describe('qbwc login throttle: memory stays bounded', () => {
  it('remembers at most maxEntries pairs, dropping the least recently failed, and forgets old ones', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxEntries: 1000, forgetMs: 10_000, now: () => now });
    for (let i = 0; i < 50_000; i++) throttle.failed(`user-${i}`, `10.0.${i >> 8}.${i & 255}`);
    assert.equal(throttle.size, 1000);
    const long = 'x'.repeat(100_000);
    for (let i = 0; i < 10; i++) throttle.failed(`${long}${i}`, '127.0.0.1');
    assert.equal(throttle.size, 1000, 'long user names are cut before they become keys');
    now += 20_000;
    assert.equal(throttle.lockedFor('user-49999', '10.0.195.79').ms, 0, 'forgotten after forgetMs');
  });

  it('with the defaults, 20,000 distinct names stay within 10,000 entries', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 20_000; i++) throttle.failed(`n${i}`, '127.0.0.1');
    assert.equal(throttle.size, 10_000);
  });
});

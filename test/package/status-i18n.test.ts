/**
 * Every status text a node shows is a key of its own catalog: the connection states every QuickBooks
 * node shows, and each `t('…')` key a node's runtime file (or the shared matcher runtime) uses.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { statusFor } from '../../nodes/lib/node-red/status';
import { translate } from '../support/helper';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes) as string[];
const source = (type: string) => fs.readFileSync(path.join(root, 'nodes', type, `${type}.ts`), 'utf8');
const MATCHER_RUNTIME = fs.readFileSync(path.join(root, 'nodes', 'lib', 'node-red', 'matcher-node.ts'), 'utf8');

/** Types whose runtime connects to a company (and so shows the connection states). */
const connected = types.filter((type) => /matcherNode\(|attachHandler\(|attachCompany\(/.test(source(type)));

describe('status texts come from the catalogs', () => {
  it('the connection states, in every node that connects to a company', () => {
    assert.ok(connected.length >= 6, connected.join(', '));
    for (const type of connected) {
      const t = (key: string, subs?: Record<string, unknown>) => translate(`${type}.status.${key}`, subs);
      for (const state of ['connected', 'connecting', 'reconnect-needed', 'error', 'idle'] as const) {
        for (const extra of [{}, { progress: 'customers 1,200 / 5,000', message: 'boom' }]) {
          const text = statusFor({ state, ...extra } as never, t).text;
          assert.doesNotMatch(text, /\.status\.|__\w+__/, `${type} ${state}: ${text}`);
        }
      }
      assert.notEqual(t('noConnection'), `${type}.status.noConnection`);
      assert.notEqual(t('failed'), `${type}.status.failed`);
      assert.equal(t('notConfigured', { needs: 'QBWC_USERNAME' }), 'not configured: set QBWC_USERNAME');
    }
  });

  it('every key a runtime file passes to its translator exists, with its substitutions filled', () => {
    for (const type of types) {
      const text = source(type) + (/matcherNode\(/.test(source(type)) ? MATCHER_RUNTIME : '');
      for (const [, key] of text.matchAll(/\bt\('([\w.-]+)'/g)) {
        const value = translate(`${type}.status.${key}`, { a: 1 });
        assert.notEqual(value, `${type}.status.${key}`, `${type}: missing status key ${key}`);
      }
      for (const [, prefix] of text.matchAll(/\bt\(`([\w.-]+)\.\$\{/g)) {
        const catalog = JSON.parse(fs.readFileSync(path.join(root, 'nodes', type, 'locales', 'en-US', `${type}.json`), 'utf8'));
        assert.equal(typeof catalog[type].status[prefix!], 'object', `${type}: missing status group ${prefix}`);
      }
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ISSUES, matchByKey, summarize, type KeyedRecord } from '../../../nodes/lib/matching';

const rec = (id: string, key: string, active = true): KeyedRecord => ({ id, key, active });

describe('matchByKey: items by SKU', () => {
  it('matches each app item to the one QuickBooks item with its key', () => {
    const out = matchByKey('item', [rec('a1', 'kum-60'), rec('a2', 'mus-10')], [rec('19', 'mus-10'), rec('20', 'kum-60')]);
    assert.deepEqual(out.map((o) => [o.appId, o.status, o.qbId]), [['a1', 'matched', '20'], ['a2', 'matched', '19']]);
  });

  it('an item without a SKU gets the missing-SKU issue', () => {
    const [o] = matchByKey('item', [rec('a1', '')], [rec('19', '')]);
    assert.equal(o.issue, 'missing-sku');
    assert.equal(ISSUES[o.issue!].title, 'Item is missing a SKU in BlueTrace');
  });

  it('two app items with one SKU both get the duplicate-SKU issue', () => {
    const out = matchByKey('item', [rec('a1', 'x'), rec('a2', 'x'), rec('a3', 'y')], [rec('1', 'x'), rec('2', 'y')]);
    assert.deepEqual(out.map((o) => o.issue ?? o.status), ['duplicate-sku', 'duplicate-sku', 'matched']);
  });

  it('no QuickBooks item with the SKU gives Item Not Found in QB', () => {
    const [o] = matchByKey('item', [rec('a1', 'x')], [rec('1', 'y')]);
    assert.equal(o.issue, 'item-not-found');
    assert.equal(o.inactiveOnly, undefined);
  });

  it('several QuickBooks items sharing the SKU are reported, never guessed', () => {
    const [o] = matchByKey('item', [rec('a1', 'x')], [rec('1', 'x'), rec('2', 'x')]);
    assert.equal(o.issue, 'ambiguous-sku');
    assert.deepEqual(o.candidates, ['1', '2']);
  });

  it('an inactive QuickBooks item yields to an active one and alone is reported inactive', () => {
    assert.equal(matchByKey('item', [rec('a1', 'x')], [rec('1', 'x', false), rec('2', 'x')])[0].qbId, '2');
    const [o] = matchByKey('item', [rec('a1', 'x')], [rec('1', 'x', false)]);
    assert.equal(o.issue, 'item-not-found');
    assert.equal(o.inactiveOnly, true);
  });
});

describe('matchByKey: customers by billing email', () => {
  it('several QuickBooks customers sharing an email are a duplicate match with their ids', () => {
    const [o] = matchByKey('customer', [rec('c1', 'ap@x')], [rec('58', 'ap@x'), rec('59', 'ap@x')]);
    assert.equal(o.issue, 'duplicate-match');
    assert.deepEqual(o.candidates, ['58', '59']);
  });

  it('several app customers sharing an email are a duplicate match too', () => {
    const out = matchByKey('customer', [rec('c1', 'ap@x'), rec('c2', 'ap@x')], [rec('58', 'ap@x')]);
    assert.deepEqual(out.map((o) => o.issue), ['duplicate-match', 'duplicate-match']);
  });

  it('linking one pair of a duplicate match settles the other by elimination', () => {
    const links = new Map([['c1', '59']]);
    const out = matchByKey('customer', [rec('c1', 'ap@x'), rec('c2', 'ap@x')], [rec('58', 'ap@x'), rec('59', 'ap@x')], links);
    assert.deepEqual(out.map((o) => [o.appId, o.qbId, !!o.manual]), [['c1', '59', true], ['c2', '58', false]]);
  });

  it('a link whose QuickBooks record is gone falls back to the rules', () => {
    const out = matchByKey('customer', [rec('c1', 'ap@x')], [rec('58', 'ap@x')], new Map([['c1', 'deleted']]));
    assert.deepEqual([out[0].qbId, out[0].manual], ['58', undefined]);
  });

  it('a link wins over the rules even when the emails differ', () => {
    const [o] = matchByKey('customer', [rec('c1', '')], [rec('58', 'other@x')], new Map([['c1', '58']]));
    assert.deepEqual([o.status, o.qbId, o.manual], ['matched', '58', true]);
  });

  it('a missing email gets the missing-email issue with the seed resolution', () => {
    const [o] = matchByKey('customer', [rec('c1', '')], []);
    assert.equal(o.issue, 'missing-email');
    assert.match(ISSUES['missing-email'].resolution, /enter the billing email/i);
  });
});

describe('matchByKey: charges by Price Code', () => {
  it('many charges may map to one item; no Price Code and no such item are issues', () => {
    const out = matchByKey('charge', [rec('ch1', 'Hosting'), rec('ch2', 'Hosting'), rec('ch3', ''), rec('ch4', 'hosting')], [rec('7', 'Hosting')]);
    assert.deepEqual(out.map((o) => o.qbId ?? o.issue), ['7', '7', 'missing-price-code', 'unmapped-charge']);
  });
});

describe('summarize', () => {
  it('counts matched records and issues by code', () => {
    const out = matchByKey('item', [rec('a', ''), rec('b', 'x'), rec('c', 'y')], [rec('1', 'x')]);
    assert.deepEqual(summarize(out), { matched: 1, issues: 2, byIssue: { 'missing-sku': 1, 'item-not-found': 1 } });
  });
});

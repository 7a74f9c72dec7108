/**
 * The same matching on both backends: nedb's in-memory hash join and PostgreSQL's index look-ups a
 * page at a time (table-book.ts) give the same persisted outcomes, reports and changes on the same data:
 * matches, missing keys, app duplicates, QuickBooks duplicates, inactive-only records, admin links
 * (to a record that exists, and to one that does not), a link taking a record out of other keys'
 * candidates, changes in the mirror, records received again with another key, and the charge kind
 * (a key function, no app duplicates). Small pages on PostgreSQL make every case cross page bounds.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MatchBook, Matcher, type MatchKind, type MatchReport, type QbKey } from '../../../nodes/lib/matching';
import { Mirror, type MirrorRecord } from '../../../nodes/lib/mirror';
import { compileRule, defaultRule, type Rule } from '../../../nodes/lib/rules';
import { Store } from '../../../nodes/lib/store';
import { PG_URL, pgSkip, testSchema } from '../../support/pg';
import { tempDir } from '../../support/tmp';

const skip = pgSkip();
const tmp = tempDir('qbsync-backends-');
const stores: Store[] = [];
before(async () => {
  if (skip) return;
  stores.push(await Store.open(path.join(tmp.dir, 'nedb')));
  stores.push(await Store.open(path.join(tmp.dir, 'pg'), { url: PG_URL, schema: testSchema('backends') }));
});
after(async () => {
  for (const s of stores) await s.close();
  tmp.cleanup();
});

const rule = (name: string): Rule => compileRule(name, defaultRule(name).source);
let n = 0;

/** One scenario's matcher on each backend, with the same mirror. */
async function pair(kind: MatchKind, entity: string, appRule: Rule, qbKey: QbKey, qb: MirrorRecord[]) {
  const company = `co-${++n}`;
  return Promise.all(stores.map(async (store) => {
    const mirror = new Mirror(store, company);
    await mirror.upsert(entity, qb);
    return { store, mirror, matcher: new Matcher(kind, mirror, entity, appRule, qbKey, new MatchBook(store, company, kind)) };
  }));
}

/** What a backend persisted: every document's outcome, by app id. */
async function persisted(book: MatchBook): Promise<unknown[]> {
  const docs = await book.list();
  return docs
    .map((d) => ({ appId: d.appId, key: d.key, status: d.status, qbId: d.qbId, issue: d.issue, candidates: d.candidates, inactiveOnly: d.inactiveOnly, linkedQbId: d.linkedQbId }))
    .sort((a, b) => a.appId.localeCompare(b.appId));
}

/** A report without what may differ in order or timing (changes compared as sets, outcomes by app id). */
function comparable(r: MatchReport): unknown {
  return {
    matched: r.matched, issues: r.issues, byIssue: r.byIssue, changed: [...r.changed].sort(),
    outcomes: r.outcomes.map((o) => ({ appId: o.appId, status: o.status, qbId: o.qbId, issue: o.issue, candidates: o.candidates, inactiveOnly: o.inactiveOnly, title: o.issueDetail?.title })).sort((a, b) => a.appId.localeCompare(b.appId)),
  };
}

/** Runs a step on both backends and checks the reports and the persisted books agree. */
async function same(sides: Awaited<ReturnType<typeof pair>>, step: (side: (typeof sides)[number]) => Promise<MatchReport | void>, label: string): Promise<MatchReport | void> {
  const [a, b] = [await step(sides[0]!), await step(sides[1]!)];
  if (a && b) assert.deepEqual(comparable(b), comparable(a), `${label}: the reports agree`);
  assert.deepEqual(await persisted(sides[1]!.matcher.book), await persisted(sides[0]!.matcher.book), `${label}: the persisted outcomes agree`);
  return a;
}

const item = (id: string, sku: string | undefined, active = true): MirrorRecord => ({ id, name: `QB ${id}`, active, data: { Id: id, Name: `QB ${id}`, ...(sku ? { Sku: sku } : {}), Active: active } });

describe('matching on nedb and on PostgreSQL give the same outcomes', { skip }, () => {
  it('items: matches, duplicates on either side, inactive-only, missing keys, links, mirror changes, keys changed', async () => {
    const sides = await pair('item', 'items', rule('item-key.app'), rule('item-key.qbo'), [
      item('1', 'A'), item('2', 'B'), item('3', 'B'), item('4', 'C', false), item('5', 'D'), item('6', 'D', false),
      item('7', 'E'), item('8', 'F'), item('9', 'F'), item('10', undefined), item('11', 'G', false), item('12', 'G', false),
    ]);
    const app = [
      { id: 'a1', name: 'one', sku: 'a' }, { id: 'a2', name: 'two', sku: 'B ' }, { id: 'a3', name: 'three', sku: 'C' },
      { id: 'a4', name: 'four', sku: 'D' }, { id: 'a5', name: 'five', sku: 'E' }, { id: 'a6', name: 'six', sku: 'e' },
      { id: 'a7', name: 'seven' }, { id: 'a8', name: 'eight', sku: 'F' }, { id: 'a9', name: 'nine', sku: 'F' },
      { id: 'a10', name: 'ten', sku: 'Z' }, { id: 'a11', name: 'eleven', sku: 'A' }, { id: 'a12', name: 'twelve', sku: 'G' },
    ];
    const first = await same(sides, (s) => s.matcher.ingest(app), 'first ingest');
    assert.deepEqual(first && first.byIssue, { 'duplicate-sku': 6, 'ambiguous-sku': 1, 'item-not-found': 3, 'missing-sku': 1 }, 'the scenario has every kind of issue');
    // a8 linked to 9 (taking 9 out of F's candidates: a9 is matched to 8); a11 linked to a record that does not exist
    await same(sides, async (s) => void (await s.matcher.book.link('a8', '9')), 'link a8');
    await same(sides, async (s) => void (await s.matcher.book.link('a11', 'gone')), 'link a11 to nothing');
    await same(sides, async (s) => void (await s.matcher.book.link('a3', 'x\u0000y')), 'a link naming an id no record can have');
    assert.equal(await sides[1]!.mirror.get('items', 'x\u0000y'), undefined);
    const relinked = await same(sides, (s) => s.matcher.rematch(new Set(['a3', 'a8', 'a9', 'a11'])), 'rematch after links');
    assert.deepEqual(relinked && relinked.outcomes.map((o) => [o.appId, o.qbId ?? o.issue]).sort(), [['a11', 'duplicate-sku'], ['a3', 'item-not-found'], ['a8', '9'], ['a9', '8']]);
    // The mirror changes: 3 gets another SKU (B is no longer ambiguous), 1 is deleted, 4 becomes active, 12 comes back active.
    await same(sides, async (s) => {
      await s.mirror.upsert('items', [item('3', 'X'), item('4', 'C'), item('12', 'G')]);
      await s.mirror.delete('items', ['1']);
    }, 'mirror changes');
    const after = await same(sides, (s) => s.matcher.rematch(), 'full rematch');
    assert.ok(after && after.changed.length > 0 && after.outcomes.length === app.length);
    // Records received again with other keys: a6 leaves the E duplicate (a5 is matched), a10 joins it.
    const again = await same(sides, (s) => s.matcher.ingest([{ id: 'a6', name: 'six', sku: 'X' }, { id: 'a10', name: 'ten', sku: 'E' }]), 'keys changed');
    assert.deepEqual(again && again.outcomes.map((o) => o.appId), ['a6', 'a10'], 'the outcomes of the records received, in their order');
    await same(sides, async (s) => void (await s.matcher.book.link('a8', undefined)), 'unlink a8');
    await same(sides, (s) => s.matcher.rematch(), 'rematch after unlink');
    await same(sides, (s) => s.matcher.rematch(undefined, { each: async () => undefined }), 'rematch with outcomes by page');
    const issues = async (s: (typeof sides)[number]) => (await s.matcher.book.issues()).sort((a, b) => a.appId.localeCompare(b.appId));
    assert.deepEqual(await issues(sides[1]!), await issues(sides[0]!), 'the issue lists agree (in app id order on PostgreSQL, in the order received on nedb)');
  });

  it('customers: a duplicate match between the two systems, settled by a link', async () => {
    const customer = (id: string, email: string, active = true): MirrorRecord => ({ id, name: `C ${id}`, active, data: { Id: id, PrimaryEmailAddr: { Address: email } } });
    const sides = await pair('customer', 'customers', rule('customer-key.app'), rule('customer-key.qbo'), [
      customer('58', 'ap@oyster.example'), customer('59', 'AP@oyster.example'), customer('60', 'solo@example.com'), customer('61', 'gone@example.com', false),
    ]);
    await same(sides, (s) => s.matcher.ingest([
      { id: 'c1', name: 'Oyster', billingEmail: 'ap@oyster.example' }, { id: 'c2', name: 'Oyster 2', billingEmail: 'ap@oyster.example' },
      { id: 'c3', name: 'Solo', billingEmail: 'solo@example.com' }, { id: 'c4', name: 'Gone', billingEmail: 'gone@example.com' }, { id: 'c5', name: 'None' },
    ]), 'ingest');
    await same(sides, async (s) => void (await s.matcher.book.link('c1', '58')), 'link c1');
    await same(sides, (s) => s.matcher.rematch(), 'rematch');
  });

  it('charges: a key function on the item names, many charges to one item, duplicates reported as unmapped', async () => {
    const named = (id: string, name: string, active = true): MirrorRecord => ({ id, name, active, data: { Id: id, Name: name } });
    const sides = await pair('charge', 'items', rule('charge-item-name'), (r: MirrorRecord) => r.name, [
      named('1', 'Hosting'), named('2', 'Setup'), named('3', 'Setup'), named('4', 'Old', false),
    ]);
    await same(sides, (s) => s.matcher.ingest([
      { id: 'ch1', name: 'Monthly', priceCode: 'Hosting' }, { id: 'ch2', name: 'Yearly', priceCode: 'Hosting' },
      { id: 'ch3', name: 'Setup', priceCode: 'Setup' }, { id: 'ch4', name: 'Old', priceCode: 'Old' }, { id: 'ch5', name: 'Blank' },
    ]), 'ingest');
    await same(sides, (s) => s.matcher.rematch(), 'rematch');
  });
});

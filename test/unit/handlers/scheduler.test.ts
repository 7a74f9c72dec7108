import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonths, localDate } from '../../../nodes/lib/handlers/dates';
import type { ExportRequest } from '../../../nodes/lib/handlers/exporter';
import { ExportScheduler, periodAt, type ScheduleConfig } from '../../../nodes/lib/handlers/scheduler';
import { useStore } from './support';

const store = useStore();
let n = 0;

/** A scheduler whose exports are recorded; `name` lets a test "restart" the same schedule. */
function scheduler(config: ScheduleConfig, options: { name?: string; timeZone?: string; fail?: () => boolean } = {}) {
  const exported: ExportRequest[] = [];
  const s = new ExportScheduler(store(), options.name ?? `sched-${++n}`, {
    ...config, timeZone: options.timeZone ?? 'UTC',
    exporter: async (req) => {
      if (options.fail?.()) throw new Error('QuickBooks is down');
      exported.push(req);
    },
  });
  return { s, exported };
}
const at = (iso: string) => new Date(iso);
const ranges = (reqs: ExportRequest[]) => reqs.map((r) => `${r.from}..${r.to}`);

describe('period arithmetic', () => {
  it('daily periods are single days', () => {
    assert.deepEqual(periodAt({ periodStart: '2026-01-30', every: 1, unit: 'days' }, 2), { index: 2, from: '2026-02-01', to: '2026-02-01' });
  });

  it('weekly periods are 7 days', () => {
    assert.deepEqual(periodAt({ periodStart: '2026-01-05', every: 2, unit: 'weeks' }, 1), { index: 1, from: '2026-01-19', to: '2026-02-01' });
  });

  it('monthly periods from the 1st are calendar months', () => {
    assert.deepEqual(periodAt({ periodStart: '2026-01-01', every: 1, unit: 'months' }, 1), { index: 1, from: '2026-02-01', to: '2026-02-28' });
  });

  it('quarterly and yearly periods are 3 and 12 calendar months', () => {
    assert.deepEqual(periodAt({ periodStart: '2026-01-01', every: 1, unit: 'quarters' }, 1), { index: 1, from: '2026-04-01', to: '2026-06-30' });
    assert.deepEqual(periodAt({ periodStart: '2025-07-01', every: 1, unit: 'years' }, 1), { index: 1, from: '2026-07-01', to: '2027-06-30' });
    assert.deepEqual(periodAt({ periodStart: '2024-02-29', every: 1, unit: 'years' }, 1), { index: 1, from: '2025-02-28', to: '2026-02-27' });
  });

  it('Jan 31 + 1 month is the end of February, and the next start goes back to the 31st', () => {
    const c: ScheduleConfig = { periodStart: '2026-01-31', every: 1, unit: 'months' };
    assert.deepEqual([periodAt(c, 0).to, periodAt(c, 1).from, periodAt(c, 2).from], ['2026-02-27', '2026-02-28', '2026-03-31']);
  });

  it('month clamping knows leap years', () => {
    assert.equal(addMonths('2028-01-31', 1), '2028-02-29');
  });

  it('a quarter is three months', () => {
    assert.deepEqual(periodAt({ periodStart: '2026-01-01', every: 3, unit: 'months' }, 1), { index: 1, from: '2026-04-01', to: '2026-06-30' });
  });

  it('an instant becomes the date of the time zone', () => {
    assert.deepEqual([localDate('2026-02-01T03:00:00Z', 'America/New_York'), localDate('2026-02-01T03:00:00Z', 'UTC')], ['2026-01-31', '2026-02-01']);
  });
});

describe('ExportScheduler: the Accounting Scheduler', () => {
  const monthly: ScheduleConfig = { periodStart: '2026-01-01', every: 1, unit: 'months' };

  it('exports nothing while the first period is still running', async () => {
    const { s } = scheduler(monthly);
    assert.deepEqual(await s.tick(at('2026-01-31T23:59:00Z')), []);
  });

  it('exports a period by itself once its last day has passed', async () => {
    const { s, exported } = scheduler(monthly);
    assert.deepEqual(ranges(await s.tick(at('2026-02-01T00:00:00Z'))), ['2026-01-01..2026-01-31']);
    assert.deepEqual(ranges(exported), ['2026-01-01..2026-01-31']);
  });

  it('decides "passed" in the company\'s time zone', async () => {
    const { s } = scheduler(monthly, { timeZone: 'America/New_York' });
    assert.deepEqual(await s.tick(at('2026-02-01T03:00:00Z')), []);
  });

  it('catches up every missed period, oldest first, one export each', async () => {
    const { s } = scheduler({ periodStart: '2026-01-01', every: 1, unit: 'weeks' });
    assert.deepEqual(ranges(await s.tick(at('2026-01-23T12:00:00Z'))), ['2026-01-01..2026-01-07', '2026-01-08..2026-01-14', '2026-01-15..2026-01-21']);
  });

  it('does not export a period twice', async () => {
    const { s } = scheduler(monthly);
    await s.tick(at('2026-02-01T00:00:00Z'));
    assert.deepEqual(await s.tick(at('2026-02-15T00:00:00Z')), []);
  });

  it('after a restart continues with the next period, neither repeating nor skipping', async () => {
    const first = scheduler(monthly, { name: 'restart' });
    await first.s.tick(at('2026-02-10T00:00:00Z'));
    const second = scheduler(monthly, { name: 'restart' });
    assert.deepEqual(ranges(await second.s.tick(at('2026-04-02T00:00:00Z'))), ['2026-02-01..2026-02-28', '2026-03-01..2026-03-31']);
  });

  it('a failed export is tried again on the next tick', async () => {
    let down = true;
    const { s, exported } = scheduler(monthly, { fail: () => down });
    await assert.rejects(s.tick(at('2026-02-01T00:00:00Z')), /QuickBooks is down/);
    down = false;
    await s.tick(at('2026-02-01T01:00:00Z'));
    assert.deepEqual(ranges(exported), ['2026-01-01..2026-01-31']);
  });

  it('a changed schedule goes on from the day after the last day exported', async () => {
    await scheduler(monthly, { name: 'changed' }).s.tick(at('2026-02-01T00:00:00Z'));
    const weekly = scheduler({ periodStart: '2026-01-26', every: 1, unit: 'weeks' }, { name: 'changed' });
    assert.deepEqual(ranges(await weekly.s.tick(at('2026-02-10T00:00:00Z'))), ['2026-02-01..2026-02-01', '2026-02-02..2026-02-08']);
  });

  it('tells the next export date', async () => {
    const { s } = scheduler(monthly);
    await s.tick(at('2026-02-01T00:00:00Z'));
    assert.deepEqual(await s.nextExport(), { period: { index: 1, from: '2026-02-01', to: '2026-02-28' }, exportDate: '2026-03-01' });
  });

  it('passes the entities to export', async () => {
    const exported: ExportRequest[] = [];
    const s = new ExportScheduler(store(), `sched-${++n}`, { ...monthly, timeZone: 'UTC', entities: ['invoices'], exporter: async (r) => void exported.push(r) });
    await s.tick(at('2026-02-01T00:00:00Z'));
    assert.deepEqual(exported, [{ from: '2026-01-01', to: '2026-01-31', entities: ['invoices'] }]);
  });

  it('refuses a period duration of zero', () => {
    assert.throws(() => scheduler({ periodStart: '2026-01-01', every: 0, unit: 'days' }), /period duration must be a whole number/);
  });

  it('refuses a period unit it does not know, naming the ones it does', () => {
    assert.throws(
      () => scheduler({ periodStart: '2026-01-01', every: 1, unit: 'fortnights' as ScheduleConfig['unit'] }),
      /the period unit must be one of days, weeks, months, quarters, years; got "fortnights"/,
    );
  });
});

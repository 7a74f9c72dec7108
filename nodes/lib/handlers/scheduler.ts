/**
 * BluBilling's Accounting Scheduler (AutoRun): periods of a fixed duration from a period start date;
 * each period is exported by itself once it has ended, and a scheduler that was down catches up every
 * missed period, one export request each. Its position is kept in the store's `state` collection, so a
 * restart neither repeats nor skips a period.
 */
import type { Store } from '../store';
import { addDays, addPeriod, checkTimeZone, hostTimeZone, isDate, localDate, PERIOD_UNITS, type PeriodUnit } from './dates';
import type { ExportRequest } from './exporter';

export interface ScheduleConfig {
  /** First day of the first period (BluBilling "Period Start Date"), YYYY-MM-DD. */
  periodStart: string;
  /** Period Duration: how many `unit`s one period lasts (≥ 1). */
  every: number;
  unit: PeriodUnit;
}

export interface Period {
  index: number;
  /** Inclusive local dates. */
  from: string;
  to: string;
}

/**
 * Period `index` of a schedule: from = start + index × every units, to = the day before the next
 * period starts. Months are counted from the start date each time (never step by step), so a schedule
 * starting Jan 31 has periods Jan 31–Feb 27, Feb 28–Mar 30, Mar 31–Apr 29, … (each start clamped to its
 * month's end, then back to day 31 when the month has one).
 */
export function periodAt(config: ScheduleConfig, index: number): Period {
  const from = addPeriod(config.periodStart, index * config.every, config.unit);
  const to = addDays(addPeriod(config.periodStart, (index + 1) * config.every, config.unit), -1);
  return { index, from, to };
}

/** A period is over (exportable) once its last day has passed: `today` is after `to`. */
export function isPast(period: Period, today: string): boolean {
  return period.to < today;
}

/** BluBilling's "Next Export Date": the day after the period ends, when it is exported. */
export function exportDateOf(period: Period): string {
  return addDays(period.to, 1);
}

/** Throws a clear error for a schedule that cannot work. */
export function checkSchedule(config: ScheduleConfig): ScheduleConfig {
  if (!isDate(config.periodStart)) throw new Error(`the period start date must be a date (YYYY-MM-DD), got "${String(config.periodStart)}"`);
  if (!Number.isInteger(config.every) || config.every < 1 || config.every > 1000) throw new Error(`the period duration must be a whole number from 1 to 1000, got ${String(config.every)}`);
  if (!PERIOD_UNITS.includes(config.unit)) throw new Error(`the period unit must be one of ${PERIOD_UNITS.join(', ')}; got "${String(config.unit)}"`);
  return config;
}

/** The persisted position: the next period to export, and the schedule it belongs to. */
interface Position {
  _id: string;
  periodStart: string;
  every: number;
  unit: PeriodUnit;
  /** Index of the next period to export. */
  next: number;
  /** Last day of the last period exported (so a changed schedule does not export those days again). */
  exportedTo?: string;
  /** After a schedule change: the next period is exported from this day (the days before were exported). */
  resumeFrom?: string;
  updatedAt: string;
}

export interface SchedulerOptions extends ScheduleConfig {
  /** The company's IANA time zone (the local date decides whether a period is over); default this host's. */
  timeZone?: string;
  entities?: ExportRequest['entities'];
  /** Exports one period (e.g. `ExportHandler.export`); a failure stops the tick before the period counts as done. */
  exporter: (request: ExportRequest) => Promise<unknown>;
  /** The clock (tests inject one). */
  now?: () => Date;
  /** Most periods one tick exports (catch-up after a long downtime continues on the next tick). */
  maxPerTick?: number;
}

/** Periods exported per tick at most, by default (years of daily periods are caught up over several ticks). */
const MAX_PER_TICK = 366;

export class ExportScheduler {
  readonly config: ScheduleConfig;
  readonly timeZone: string;
  private readonly now: () => Date;
  private running: Promise<ExportRequest[]> = Promise.resolve([]);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    /** Identifies this schedule in the store (e.g. `<company>|<node id>`). */
    readonly name: string,
    private readonly options: SchedulerOptions,
  ) {
    this.config = checkSchedule({ periodStart: options.periodStart, every: options.every, unit: options.unit });
    this.timeZone = checkTimeZone(options.timeZone?.trim() || hostTimeZone());
    this.now = options.now ?? (() => new Date());
  }

  private get id(): string {
    return `${this.name}|export-schedule`;
  }

  /**
   * Where the schedule stands: the stored position when it belongs to this schedule. After the
   * schedule was changed, the first new period that ends after the last day already exported; when
   * that period began before, it is exported from the day after (nothing twice, no gap).
   */
  private async position(): Promise<Position> {
    const doc = (await this.store.state.findOne({ _id: this.id })) as Position | null;
    const c = this.config;
    if (doc && doc.periodStart === c.periodStart && doc.every === c.every && doc.unit === c.unit) return doc;
    const pos: Position = { _id: this.id, ...c, next: 0, updatedAt: new Date(0).toISOString() };
    if (doc?.exportedTo) {
      pos.exportedTo = doc.exportedTo;
      while (periodAt(c, pos.next).to <= doc.exportedTo) pos.next++;
      if (periodAt(c, pos.next).from <= doc.exportedTo) pos.resumeFrom = addDays(doc.exportedTo, 1);
    }
    return pos;
  }

  /** The period as it will be exported (its start moved up after a schedule change). */
  private effective(period: Period, pos: Position): Period {
    return pos.resumeFrom && pos.resumeFrom > period.from && period.index === pos.next ? { ...period, from: pos.resumeFrom } : period;
  }

  /** The next period to export and its export date (BluBilling "Next Export Date"). */
  async nextExport(): Promise<{ period: Period; exportDate: string }> {
    const pos = await this.position();
    const period = this.effective(periodAt(this.config, pos.next), pos);
    return { period, exportDate: exportDateOf(period) };
  }

  /**
   * Exports every period that has ended by `now` and was not exported yet, oldest first, each by
   * itself; the position is saved after each one. Returns the requests issued. Ticks never overlap.
   */
  tick(now: Date = this.now()): Promise<ExportRequest[]> {
    const next = this.running.catch(() => []).then(() => this.catchUp(now));
    this.running = next;
    return next;
  }

  private async catchUp(now: Date): Promise<ExportRequest[]> {
    const today = localDate(now, this.timeZone);
    const pos = await this.position();
    const issued: ExportRequest[] = [];
    const max = this.options.maxPerTick ?? MAX_PER_TICK;
    for (let period = periodAt(this.config, pos.next); isPast(period, today) && issued.length < max; period = periodAt(this.config, pos.next)) {
      const { from, to } = this.effective(period, pos);
      const request: ExportRequest = { from, to, ...(this.options.entities ? { entities: this.options.entities } : {}) };
      await this.options.exporter(request);
      pos.next = period.index + 1;
      pos.exportedTo = period.to;
      delete pos.resumeFrom;
      pos.updatedAt = now.toISOString();
      await this.store.state.update({ _id: this.id }, pos, { upsert: true });
      issued.push(request);
    }
    return issued;
  }

  /** Ticks now and then every `intervalMs` (the timer does not keep the process alive); errors go to `onError`. */
  start(intervalMs: number, onError: (err: Error) => void): void {
    this.stop();
    const run = () => void this.tick().catch(onError);
    this.timer = setInterval(run, Math.max(intervalMs, 1000));
    this.timer.unref();
    run();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

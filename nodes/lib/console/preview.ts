/**
 * "Preview on QuickBooks data": runs edited key rules over the stored app records and the mirror,
 * beside the current rules, without writing anything. Counts by outcome for both, and up to 20
 * records whose outcome would change.
 */
import type { Mirror, MirrorRecord } from '../mirror';
import { keyOf, matchByKey, summarize, type KeyedRecord, type MatchDoc, type MatchKind, type MatchOutcome, type QbKey } from '../matching';
import { compileRule, RuleError, type Rule } from '../rules';
import { ConsoleRequestError } from './validate';

export interface PreviewSide {
  matched: number;
  issues: number;
  byIssue: Record<string, number>;
}

export interface PreviewChange {
  appId: string;
  appName: string;
  before: { status: string; qbId?: string; qbName?: string; issue?: string; key: string };
  after: { status: string; qbId?: string; qbName?: string; issue?: string; key: string };
}

export interface PreviewResult {
  kind: MatchKind;
  records: number;
  qbRecords: number;
  current: PreviewSide;
  edited: PreviewSide;
  changed: number;
  changes: PreviewChange[];
  ms: number;
}

export interface PreviewInput {
  kind: MatchKind;
  docs: readonly MatchDoc[];
  qb: readonly MirrorRecord[];
  current: { app: Rule; qb: QbKey };
  /** The edited sources (undefined: unchanged). */
  appRule?: string;
  qbRule?: string;
  /** Stop after this long (a runaway rule over 100,000 records). */
  deadlineMs?: number;
}

const MAX_CHANGES = 20;
const DEADLINE_MS = 20_000;

function compile(field: 'appRule' | 'qbRule', source: string): Rule {
  try {
    return compileRule(`edited ${field}`, source);
  } catch (err) {
    throw new ConsoleRequestError([{ field, message: `does not compile: ${(err as Error).message}` }]);
  }
}

/** Keys of records through a rule (its fast path when it has one), checking the deadline as it goes. */
async function keysOf(field: 'appRule' | 'qbRule', key: QbKey, records: readonly unknown[], idOf: (r: any) => string, deadline: number): Promise<string[]> {
  const out: string[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    if (Date.now() > deadline) throw new ConsoleRequestError([{ field, message: `took longer than ${DEADLINE_MS / 1000} s over ${records.length} records; simplify the rule` }], 422);
    try {
      if (typeof key === 'function') out[i] = key(records[i] as MirrorRecord);
      else {
        const k = keyOf(key, field === 'qbRule' ? (records[i] as MirrorRecord).data : (records[i] as MatchDoc).record);
        out[i] = typeof k === 'string' ? k : await k;
      }
    } catch (err) {
      const message = err instanceof RuleError || err instanceof Error ? err.message : String(err);
      throw new ConsoleRequestError([{ field, message: `fails on record ${idOf(records[i])}: ${message}` }]);
    }
  }
  return out;
}

function side(outcomes: readonly MatchOutcome[]): PreviewSide {
  const s = summarize(outcomes);
  return { matched: s.matched, issues: s.issues, byIssue: s.byIssue as Record<string, number> };
}

/** Runs the preview (reads only). */
export async function previewRules(input: PreviewInput, mirrorName: (id: string) => string | undefined): Promise<PreviewResult> {
  const started = Date.now();
  const deadline = started + (input.deadlineMs ?? DEADLINE_MS);
  const editedApp = input.appRule?.trim() ? compile('appRule', input.appRule) : undefined;
  const editedQb = input.qbRule?.trim() ? compile('qbRule', input.qbRule) : undefined;
  const links = new Map<string, string>();
  for (const d of input.docs) if (d.linkedQbId) links.set(d.appId, d.linkedQbId);

  // Current: the keys stored with each app record (the current app rule made them) and the current QuickBooks keys.
  const currentAppKeys = input.docs.map((d) => d.key);
  const currentQbKeys = await keysOf('qbRule', input.current.qb, input.qb, (r) => r.id, deadline);
  const editedAppKeys = editedApp ? await keysOf('appRule', editedApp, input.docs, (d) => d.appId, deadline) : currentAppKeys;
  const editedQbKeys = editedQb ? await keysOf('qbRule', editedQb, input.qb, (r) => r.id, deadline) : currentQbKeys;

  const qbOf = (keys: string[]): KeyedRecord[] => input.qb.map((r, i) => ({ id: r.id, key: keys[i], active: r.active }));
  const appOf = (keys: string[]): KeyedRecord[] => input.docs.map((d, i) => ({ id: d.appId, key: keys[i] }));
  const before = matchByKey(input.kind, appOf(currentAppKeys), qbOf(currentQbKeys), links);
  const after = editedApp || editedQb ? matchByKey(input.kind, appOf(editedAppKeys), qbOf(editedQbKeys), links) : before;

  const changes: PreviewChange[] = [];
  let changed = 0;
  const view = (o: MatchOutcome) => ({ status: o.status, key: o.key, ...(o.qbId ? { qbId: o.qbId, qbName: mirrorName(o.qbId) } : {}), ...(o.issue ? { issue: o.issue } : {}) });
  for (let i = 0; i < before.length; i++) {
    const a = before[i];
    const b = after[i];
    if (a.status === b.status && a.qbId === b.qbId && a.issue === b.issue) continue;
    changed++;
    if (changes.length < MAX_CHANGES) changes.push({ appId: a.appId, appName: input.docs[i].appName, before: view(a), after: view(b) });
  }
  return {
    kind: input.kind, records: input.docs.length, qbRecords: input.qb.length, current: side(before), edited: side(after), changed, changes, ms: Date.now() - started,
  };
}

/** The name of a mirrored record by id, for the preview's rows. */
export function namesOf(mirror: Map<string, MirrorRecord>): (id: string) => string | undefined {
  return (id) => mirror.get(id)?.name;
}

export type { Mirror };

import { APP_DUPLICATE, type IssueCode, type MatchKind, MISSING_KEY, NOT_FOUND, QB_DUPLICATE } from './issues';

/** A record reduced to what matching needs: its id, its key from the rules, and whether it is active. */
export interface KeyedRecord {
  id: string;
  key: string;
  active?: boolean;
}

export interface MatchOutcome {
  appId: string;
  key: string;
  status: 'matched' | 'issue';
  qbId?: string;
  issue?: IssueCode;
  /** Every QuickBooks id sharing the key (duplicate match), or the app ids sharing it. */
  candidates?: string[];
  /** The match comes from an admin's link, not from the rules. */
  manual?: boolean;
  /** The only QuickBooks records with this key are inactive. */
  inactiveOnly?: boolean;
}

/**
 * Matches app records to QuickBooks records by key with one hash join: O(app + QuickBooks), never a
 * scan of the QuickBooks list per record. Each app record comes out matched or with exactly one issue:
 * - an admin's link wins when its QuickBooks record still exists; linked QuickBooks records are taken
 *   out of the candidates of every other record (so linking one pair can settle a duplicate match);
 * - an empty key → the kind's missing-key issue;
 * - a key several (unlinked) app records share → the app-duplicate issue (not for charges: many
 *   charges may map to one QuickBooks item);
 * - active QuickBooks records with the key: one → matched, none → not found, several → QB-duplicate.
 * Inactive QuickBooks records are only candidates when no active one has the key, and then they are
 * reported as not found with `inactiveOnly` (QuickBooks refuses inactive items and customers on new
 * transactions).
 */
export function matchByKey(
  kind: MatchKind,
  app: readonly KeyedRecord[],
  qb: readonly KeyedRecord[],
  links: ReadonlyMap<string, string> = new Map(),
): MatchOutcome[] {
  const qbById = new Map<string, KeyedRecord>();
  for (const r of qb) qbById.set(r.id, r);

  const taken = new Set<string>();
  for (const [, qbId] of links) if (qbById.has(qbId)) taken.add(qbId);

  const active = new Map<string, string[]>();
  const inactive = new Map<string, number>();
  for (const r of qb) {
    if (!r.key || taken.has(r.id)) continue;
    if (r.active === false) inactive.set(r.key, (inactive.get(r.key) ?? 0) + 1);
    else {
      const ids = active.get(r.key);
      if (ids) ids.push(r.id);
      else active.set(r.key, [r.id]);
    }
  }

  const appByKey = new Map<string, string[]>();
  for (const r of app) {
    if (!r.key || (links.has(r.id) && qbById.has(links.get(r.id) as string))) continue;
    const ids = appByKey.get(r.key);
    if (ids) ids.push(r.id);
    else appByKey.set(r.key, [r.id]);
  }

  return app.map((r) => {
    const linked = links.get(r.id);
    return decide(kind, r, {
      linked: linked !== undefined && qbById.has(linked) ? linked : undefined,
      sameKeyApp: r.key ? (appByKey.get(r.key)?.length ?? 0) : 0,
      candidates: active.get(r.key),
      inactive: inactive.has(r.key),
    });
  });
}

/** What decides one app record's outcome (matchByKey's hash join, or the table matcher's look-ups). */
export interface MatchFacts {
  /** Its admin link, when the linked QuickBooks record exists. */
  linked?: string;
  /** How many app records without a valid link share its key (itself included). */
  sameKeyApp: number;
  /** The active QuickBooks records with its key, not linked to any app record, in the mirror's order. */
  candidates?: readonly string[];
  /** Some inactive (unlinked) QuickBooks record has its key. */
  inactive: boolean;
}

/** One app record's outcome from its facts (the rules of matchByKey above). */
export function decide(kind: MatchKind, r: KeyedRecord, facts: MatchFacts): MatchOutcome {
  if (facts.linked !== undefined) return { appId: r.id, key: r.key, status: 'matched', qbId: facts.linked, manual: true };
  if (!r.key) return { appId: r.id, key: r.key, status: 'issue', issue: MISSING_KEY[kind] };
  const candidates = facts.candidates?.length ? facts.candidates : undefined;
  if (facts.sameKeyApp > 1 && kind !== 'charge') {
    return { appId: r.id, key: r.key, status: 'issue', issue: APP_DUPLICATE[kind as 'item' | 'customer'], candidates: candidates ? [...candidates] : [] };
  }
  if (!candidates) {
    const out: MatchOutcome = { appId: r.id, key: r.key, status: 'issue', issue: NOT_FOUND[kind] };
    if (facts.inactive) out.inactiveOnly = true;
    return out;
  }
  if (candidates.length > 1) return { appId: r.id, key: r.key, status: 'issue', issue: QB_DUPLICATE[kind], candidates: [...candidates] };
  return { appId: r.id, key: r.key, status: 'matched', qbId: candidates[0] };
}

/** Counts outcomes by status and issue, for node status texts and summaries. */
export function summarize(outcomes: readonly MatchOutcome[]): { matched: number; issues: number; byIssue: Partial<Record<IssueCode, number>> } {
  const byIssue: Partial<Record<IssueCode, number>> = {};
  let matched = 0;
  for (const o of outcomes) {
    if (o.status === 'matched') matched++;
    else if (o.issue) byIssue[o.issue] = (byIssue[o.issue] ?? 0) + 1;
  }
  return { matched, issues: outcomes.length - matched, byIssue };
}

import type { Company, MirrorEntity } from '../company/types';
import { Matcher, toIssue, type MatchBook, type MatchIssue, type MatchReport } from '../matching';
import type { MirrorRecord } from '../mirror';
import { ruleOrDefault, type Rule } from '../rules';
import { schemas } from '../schemas';

/** A BluBilling charge (Plans & Charges) as it arrives (schema `blubilling-charge`). */
export interface ChargeRecord {
  id: string | number;
  name: string;
  /** The QuickBooks item Name the charge maps to, exactly (case and spaces included). */
  priceCode?: string | null;
  plan?: string | null;
  amount?: number;
  [field: string]: unknown;
}

export type ChargeCommand =
  | { command: 'map'; records: ChargeRecord[] }
  | { command: 'resync' }
  | { command: 'issues' };

const RULE_NAME = 'charge-item-name';
const ITEMS = 'items';

/**
 * Reads what a message asks for: `msg.topic` "resync" or "issues", otherwise charges to map (one
 * object or an array), each validated by the `blubilling-charge` schema (a bad one changes nothing).
 */
export function parseChargeMessage(msg: { topic?: unknown; payload?: unknown }): ChargeCommand {
  const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
  if (topic === 'resync' || topic === 're-sync') return { command: 'resync' };
  if (topic === 'issues') return { command: 'issues' };
  const records = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
  return { command: 'map', records: schemas().validateEach<ChargeRecord>('blubilling-charge', records, Array.isArray(msg.payload)) };
}

/**
 * The QuickBooks side of the charge mapping: each mirrored item keyed by its `name` exactly as the
 * mirror holds it (the Name column of the Item List; QuickBooks Desktop sub-items by their full name).
 * Nothing is normalised: "Hosting" and "hosting " are different keys.
 */
const itemKey = (item: MirrorRecord): string => item.name;

/**
 * The charge mapper without Node-RED (BluBilling "Step 3: Mapping the Items imported to the Charges"):
 * each charge maps to the QuickBooks item whose Name equals its Price Code exactly, through the
 * `charge-item-name` rule (an admin may edit it; compiled once). Mappings are persisted in the
 * company's `charge` MatchBook, re-computed when the item mirror changes, and a charge without an item
 * gets an issue with BluBilling's instruction. It never creates an item in QuickBooks.
 */
export class ChargeHandler {
  readonly rule: Rule;
  readonly book: MatchBook;
  private readonly matcher: Matcher;

  constructor(
    readonly company: Company,
    options: { rule?: string } = {},
  ) {
    this.rule = ruleOrDefault(RULE_NAME, options.rule);
    this.book = company.matches('charge');
    this.matcher = new Matcher('charge', company.mirror, ITEMS, this.rule, itemKey, this.book);
  }

  /** Runs one parsed command: map charges, Re-sync (refresh the items, then map again) or list issues. */
  async run(cmd: ChargeCommand): Promise<MatchReport | { issues: MatchIssue[] }> {
    switch (cmd.command) {
      case 'issues':
        return { issues: await this.book.issues() };
      case 'resync':
        await this.company.resync();
        return this.rematch();
      case 'map':
        return this.ingest(cmd.records);
    }
  }

  /** Records charges (keys through the rule) and maps them; returns their outcomes. */
  async ingest(records: ChargeRecord[]): Promise<MatchReport> {
    return this.changed(await this.matcher.ingest(records));
  }

  /** Maps every known charge against the item mirror again; persists what changed. */
  async rematch(): Promise<MatchReport> {
    return this.changed(await this.matcher.rematch());
  }

  /** Tells the company which mappings changed (held exports may now go). */
  private changed(report: MatchReport): MatchReport {
    this.company.matchesChanged('charge', report.changed);
    return report;
  }

  /** The company's `synced` event: when the item list changed (a Re-sync or an import), map again. */
  async onSynced(event: { entities: MirrorEntity[] | string[] }): Promise<MatchReport | undefined> {
    if (!(event.entities as string[]).includes(ITEMS)) return undefined;
    return this.rematch();
  }

  /** The company's `job` event: a finished item import refreshed the mirror, so map again. */
  async onJob(job: { kind: string; company: string; state: string }): Promise<MatchReport | undefined> {
    if (job.kind !== 'import.items' || job.company !== this.company.id || job.state !== 'complete') return undefined;
    return this.rematch();
  }
}

/** One mapped charge as the charge mapper sends it. */
export interface MappedCharge {
  chargeId: string;
  name: string;
  priceCode: string;
  qbId: string;
  manual: boolean;
}

/** A mapping report's outcomes as the charge mapper sends them: the mapped charges, and the issues of the others. */
export function splitMapping(outcomes: MatchReport['outcomes']): { mapped: MappedCharge[]; unmapped: MatchIssue[] } {
  const mapped = outcomes
    .filter((o) => o.status === 'matched' && o.qbId)
    .map((o) => ({ chargeId: o.appId, name: o.appName, priceCode: o.key, qbId: o.qbId as string, manual: !!o.linkedQbId }));
  const unmapped = outcomes.filter((o) => o.issueDetail).map((o) => o.issueDetail as MatchIssue);
  return { mapped, unmapped };
}

/** Where one charge stands for an export: its QuickBooks item, or why there is none. */
export type ChargeItem =
  | { mapped: true; qbId: string; name: string }
  | { mapped: false; action: string };

/**
 * The QuickBooks item each charge maps to, from the persisted mapping (the charge mapper must have
 * seen the charge), with the action an admin must take for each charge that is not mapped.
 */
export async function chargeItems(company: Company, chargeIds: Iterable<string>): Promise<Map<string, ChargeItem>> {
  const book = company.matches('charge');
  const out = new Map<string, ChargeItem>();
  for (const id of chargeIds) {
    if (out.has(id)) continue;
    const doc = await book.get(id);
    if (!doc) {
      out.set(id, { mapped: false, action: `Charge ${id} has not been received from BluBilling: send Plans & Charges to the charge mapper first.` });
      continue;
    }
    const item = doc.status === 'matched' && doc.qbId ? await company.mirror.get(ITEMS, doc.qbId) : undefined;
    if (item) {
      out.set(id, { mapped: true, qbId: item.id, name: item.name });
      continue;
    }
    const issue = toIssue(doc);
    const label = `Charge "${doc.appName}"${doc.key ? ` (Price Code "${doc.key}")` : ''}`;
    out.set(id, { mapped: false, action: issue ? `${label}: ${issue.title}. ${issue.resolution}` : `${label} is not mapped to a QuickBooks item yet: click Re-sync.` });
  }
  return out;
}

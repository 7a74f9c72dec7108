/**
 * What to do when QuickBooks refuses an add because the name is taken (Desktop 3100, Online 6240): who
 * holds the name decides. An active record of the same kind that no other job owns is referenced (a
 * BluBilling customer; BlueTrace keeps its Duplicate Name issue, as its help describes); anything else
 * is reported on the job with the action that clears it.
 */
import type { Job, WritePayload } from '../jobs';

/** Who holds a name in QuickBooks, as far as the look-up could tell. */
export type NameHolder =
  | { kind: 'customer' | 'item'; id: string; active: boolean }
  | { kind: 'vendor' | 'employee'; id: string }
  /** Desktop: a name of the Other Names list. */
  | { kind: 'other' };

/** Where the job's record comes from, for the action text ("the BluBilling customer"). */
function appOf(job: Job): string {
  return (job.payload as WritePayload | undefined)?.match ? 'BlueTrace' : 'BluBilling';
}

function whatOf(job: Job): 'customer' | 'item' {
  return job.kind === 'item.add' ? 'item' : 'customer';
}

/** The name the job adds (its look-up value). */
export function nameOf(job: Job): string {
  const payload = job.payload as WritePayload | undefined;
  const v = payload?.lookup?.value ?? payload?.fields?.Name ?? payload?.fields?.DisplayName;
  return typeof v === 'string' ? v : String(v ?? '');
}

/** Whether the holder is referenced instead of adding a record: an active record of the same kind, a BluBilling customer. */
export function referencesHolder(job: Job, holder: NameHolder | undefined): holder is { kind: 'customer'; id: string; active: true } {
  return !!holder && job.kind === 'customer.add' && holder.kind === 'customer' && holder.active && !(job.payload as WritePayload).match;
}

/** The clear action for a name QuickBooks already has, e.g. "QuickBooks has a vendor named 'Harbor Freight Co': …". */
export function nameTakenAction(job: Job, holder: NameHolder | undefined, ownedBy?: Job): string {
  const name = nameOf(job);
  const what = whatOf(job);
  const mine = `the ${appOf(job)} ${what}`;
  if (ownedBy) {
    return `QuickBooks ${what} '${name}' already belongs to ${ownedBy.summary}: rename ${mine} (or the QuickBooks ${what}), then export again or retry.`;
  }
  if (!holder) return `QuickBooks already uses the name '${name}': rename ${mine} or the QuickBooks record, then retry.`;
  switch (holder.kind) {
    case 'customer':
    case 'item':
      if (!holder.active) return `QuickBooks has an inactive ${holder.kind} named '${name}': make it active in QuickBooks (or rename ${mine}), then retry.`;
      return holder.kind === what
        ? `QuickBooks already has ${what === 'item' ? 'an item' : 'a customer'} named '${name}': QuickBooks doesn't allow two with the same name; rename ${mine} or find the ${what} in QuickBooks and change its name there, then retry.`
        : `QuickBooks has ${holder.kind === 'item' ? 'an item' : 'a customer'} named '${name}': rename ${mine} or that record, then retry.`;
    case 'vendor':
    case 'employee':
      return `QuickBooks has ${holder.kind === 'employee' ? 'an employee' : 'a vendor'} named '${name}': rename ${mine} or the ${holder.kind}, then retry.`;
    case 'other':
      return `QuickBooks has '${name}' in its Other Names list (names are shared by customers, vendors, employees and other names): rename ${mine} or that name in QuickBooks, then retry.`;
  }
}

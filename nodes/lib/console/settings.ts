import type { Company, GeneralSettings } from '../company/types';

/** The General tab as the console edits it: the connection's settings plus Items / Customers sync. */
export interface ConsoleGeneral {
  defaultTermsId?: string;
  incomeAccountId?: string;
  expenseAccountId?: string;
  assetAccountId?: string;
  invoiceCreation?: boolean;
  /** BlueTrace's Items and Customers "Sync" switches: off, their matcher refuses records and re-matches nothing. */
  itemsSync?: boolean;
  customersSync?: boolean;
}

export const ID_FIELDS = ['defaultTermsId', 'incomeAccountId', 'expenseAccountId', 'assetAccountId'] as const;
export type IdField = (typeof ID_FIELDS)[number];

/** Where the console keeps its edits of a company's General settings (the company's own store). */
const LOG_KIND = 'console-settings';
const ENTRY = 'general';

/** Sync switches by company id, read by the matcher nodes (in memory once loaded). */
const syncOff = new Map<string, Set<'item' | 'customer'>>();
/** Companies whose saved console settings are applied already. */
const applied = new WeakSet<Company>();

/** Whether a matcher of this kind may match records for this company (the General tab's Sync switch). */
export function syncEnabled(companyId: string, kind: 'item' | 'customer' | string): boolean {
  return !syncOff.get(companyId)?.has(kind as 'item');
}

function applySync(companyId: string, general: ConsoleGeneral): void {
  const off = new Set<'item' | 'customer'>();
  if (general.itemsSync === false) off.add('item');
  if (general.customersSync === false) off.add('customer');
  syncOff.set(companyId, off);
}

/** The console's saved edits of a company (empty when none were saved). */
export async function savedGeneral(company: Company): Promise<ConsoleGeneral> {
  const entry = await company.log(LOG_KIND).get(ENTRY);
  return (entry?.detail as ConsoleGeneral | undefined) ?? {};
}

/**
 * Applies the console's saved General settings to a company once (after a deploy or restart): they win
 * over the connection dialog's values, as the last choice an admin made in the console.
 */
export async function applySavedGeneral(company: Company): Promise<void> {
  if (applied.has(company)) return;
  applied.add(company);
  const saved = await savedGeneral(company);
  applyTo(company, saved);
}

/** Applies the saved General settings again: another instance sharing the store saved them (console-routes). */
export async function reloadGeneral(company: Company): Promise<void> {
  applied.add(company);
  applyTo(company, await savedGeneral(company));
}

function applyTo(company: Company, general: ConsoleGeneral): void {
  const settings = company.settings as GeneralSettings;
  for (const f of ID_FIELDS) if (general[f] !== undefined) settings[f] = general[f] || undefined;
  if (general.invoiceCreation !== undefined) settings.invoiceCreation = general.invoiceCreation;
  applySync(company.id, general);
}

/** Saves and applies an edit of the General settings (fields left out keep their value). */
export async function saveGeneral(company: Company, edit: ConsoleGeneral): Promise<ConsoleGeneral> {
  const next: ConsoleGeneral = { ...(await savedGeneral(company)) };
  for (const [k, v] of Object.entries(edit) as Array<[keyof ConsoleGeneral, unknown]>) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  await company.log(LOG_KIND).put(ENTRY, { status: 'saved', detail: next as Record<string, unknown> });
  applied.add(company);
  applyTo(company, next);
  return next;
}

/** The General settings in effect, with the sync switches. */
export function effectiveGeneral(company: Company): Required<Pick<ConsoleGeneral, 'invoiceCreation' | 'itemsSync' | 'customersSync'>> & Pick<ConsoleGeneral, IdField> {
  const s = company.settings;
  return {
    defaultTermsId: s.defaultTermsId, incomeAccountId: s.incomeAccountId, expenseAccountId: s.expenseAccountId, assetAccountId: s.assetAccountId,
    invoiceCreation: s.invoiceCreation, itemsSync: syncEnabled(company.id, 'item'), customersSync: syncEnabled(company.id, 'customer'),
  };
}

/** QuickBooks Desktop company simulator (see README.md). */
export { QbdCompany, QbdRequestError, PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE } from './company';
export type { RequestProcessor, QbdCompanyOptions, InjectedStatus, SeedData, RecordKind, ItemType } from './company';
export type { CustomerSeed, ItemSeed, TermsSeed, AccountSeed } from './seed';

/**
 * The accounting API operations on one company, independent of HTTP: entity writes, batch and CDC.
 */
import { canonicalEntity, Company, EntityName, Rec, Tombstone } from './entities';
import { faults, QboFault } from './faults';
import { queryResponse } from './query';

export type Operation = 'create' | 'update' | 'delete' | 'void';

export interface WriteFlags {
  allowDuplicateDocNum?: boolean;
  hidden?: Set<string>;
}

/** One entity write; returns the response body object (without `time`). */
export function write(company: Company, entity: EntityName, op: Operation, body: Rec, flags: WriteFlags = {}): Rec {
  switch (op) {
    case 'create':
      // A plain POST carrying Id + SyncToken is an update (qbo.md §2.1).
      if (body && body.Id !== undefined && body.SyncToken !== undefined) return { [entity]: company.update(entity, body, flags) };
      return { [entity]: company.create(entity, body, flags) };
    case 'update':
      return { [entity]: company.update(entity, body, flags) };
    case 'delete':
      return { [entity]: company.delete(entity, body) };
    case 'void':
      return { [entity]: company.void(entity, body) };
  }
}

/** Maps the `operation` / `include` query parameters to an operation. */
export function operationOf(params: URLSearchParams): Operation {
  const op = (params.get('operation') ?? '').toLowerCase();
  if (op === 'update') return (params.get('include') ?? '').toLowerCase() === 'void' ? 'void' : 'update';
  if (op === 'delete') return 'delete';
  if (op === 'void') return 'void';
  if (op === '' || op === 'create') return 'create';
  throw faults.unsupported(`Operation ${op} is not supported`);
}

/** POST /batch: ≤ maxItems independent items, per-item Fault, HTTP 200; items never see what earlier items created. */
export function batch(company: Company, body: Rec, maxItems: number): Rec {
  const items = body?.BatchItemRequest;
  if (!Array.isArray(items) || items.length === 0) throw faults.required('BatchItemRequest');
  if (items.length > maxItems) {
    throw faults.invalid('BatchItemRequest', `The batch request contains ${items.length} items; the maximum is ${maxItems}`);
  }
  const hidden = new Set<string>();
  const out = items.map((item: Rec) => {
    const bId = item?.bId;
    try {
      if (bId === undefined || bId === null || bId === '') throw faults.required('bId');
      if (typeof item.Query === 'string') return { bId, QueryResponse: queryResponse(company, item.Query) };
      const key = Object.keys(item).find((k) => canonicalEntity(k) === k);
      if (!key) throw faults.invalid('BatchItemRequest', 'No supported entity in the batch item');
      const entity = key as EntityName;
      const op = String(item.operation ?? 'create').toLowerCase();
      if (!['create', 'update', 'delete'].includes(op)) throw faults.unsupported(`Operation ${op} is not supported in batch`);
      const result = write(company, entity, op as Operation, item[key], { hidden });
      if (op === 'create') hidden.add(result[entity].Id);
      return { bId, ...result };
    } catch (err) {
      if (err instanceof QboFault) return { bId, Fault: err.toFault() };
      throw err;
    }
  });
  return { BatchItemResponse: out };
}

const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;

/** GET /cdc: changes since a time (≤ 30 days back), ≤ maxObjects across all entities, deletions as tombstones. */
export function cdc(company: Company, entitiesParam: string | null, changedSince: string | null, maxObjects = 1000): Rec {
  if (!entitiesParam) throw faults.required('entities');
  if (!changedSince) throw faults.required('changedSince');
  const since = Date.parse(changedSince);
  if (Number.isNaN(since)) throw faults.invalid('changedSince', `Invalid date/time format for changedSince: ${changedSince}`);
  if (since < company.now() - THIRTY_DAYS_MS) throw faults.business('changedSince cannot be more than 30 days in the past', 'changedSince');
  const entities = entitiesParam.split(',').map((e) => {
    const c = canonicalEntity(e.trim());
    if (!c) throw faults.invalid('entities', `Unsupported entity for CDC: ${e}`);
    return c;
  });
  type Change = { entity: EntityName; t: number; row: Rec };
  const changes: Change[] = [];
  for (const entity of entities) {
    for (const rec of company.table(entity).rows.values()) {
      const t = Company.changedAt(rec);
      if (t >= since) changes.push({ entity, t, row: rec });
    }
    for (const ts of company.tombstones as Tombstone[]) {
      if (ts.entity === entity && ts.time >= since) {
        changes.push({ entity, t: ts.time, row: { Id: ts.Id, status: 'Deleted', domain: 'QBO', MetaData: { LastUpdatedTime: company.time(ts.time) } } });
      }
    }
  }
  changes.sort((a, b) => a.t - b.t);
  const kept = changes.slice(0, maxObjects);
  const responses = entities.map((entity) => {
    const rows = kept.filter((c) => c.entity === entity).map((c) => JSON.parse(JSON.stringify(c.row)) as Rec);
    return rows.length > 0 ? { [entity]: rows, startPosition: 1, maxResults: rows.length } : {};
  });
  return { CDCResponse: [{ QueryResponse: responses }] };
}

/** GET /companyinfo/{realmId}. */
export function companyInfo(company: Company): Rec {
  return {
    CompanyInfo: {
      Id: '1',
      SyncToken: '0',
      CompanyName: 'Simulated Seafood Co',
      LegalName: 'Simulated Seafood Co',
      Country: 'US',
      CompanyAddr: { Line1: '1 Harbor Way', City: 'Portland', CountrySubDivisionCode: 'ME', PostalCode: '04101' },
      domain: 'QBO',
      sparse: false,
      MetaData: { CreateTime: company.time(0), LastUpdatedTime: company.time(0) },
    },
  };
}

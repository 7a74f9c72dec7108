import type { WriteResult } from './kinds';

/**
 * A placeholder in a write job's fields for a value only known once another job is complete, e.g. the
 * CustomerRef of an invoice whose customer is exported in the same run: `{ jobRef: "customer:cu-1" }`
 * (the dependency's QuickBooks id) or `{ jobRef: "invoice:in-1", use: "version" }`. The job must list
 * the key in `dependsOn`, so the dependency is complete when the job is sent. (nedb forbids field names
 * starting with "$", hence the plain name.)
 */
export interface JobRef {
  jobRef: string;
  use?: keyof Pick<WriteResult, 'qbId' | 'version' | 'ref'>;
}

export function isJobRef(value: unknown): value is JobRef {
  return !!value && typeof value === 'object' && !Array.isArray(value) && typeof (value as JobRef).jobRef === 'string' && Object.keys(value).every((k) => k === 'jobRef' || k === 'use');
}

/**
 * Replaces every `JobRef` in `fields` (deeply) with the named result value of the dependency. Throws a
 * clear error when a dependency has no result yet (it must be complete before the job is sent).
 */
export function resolveJobRefs<T>(fields: T, results: (key: string) => WriteResult | undefined): T {
  const walk = (value: unknown): unknown => {
    if (isJobRef(value)) {
      const result = results(value.jobRef);
      const resolved = result?.[value.use ?? 'qbId'];
      if (resolved === undefined) throw new Error(`job "${value.jobRef}" has no ${value.use ?? 'qbId'} yet: it must be complete first`);
      return resolved;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v);
      return out;
    }
    return value;
  };
  return walk(fields) as T;
}

/** The keys a payload's fields refer to (they belong in the job's `dependsOn`). */
export function jobRefsIn(fields: unknown): string[] {
  const keys = new Set<string>();
  const walk = (value: unknown): void => {
    if (isJobRef(value)) keys.add(value.jobRef);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(fields);
  return [...keys];
}

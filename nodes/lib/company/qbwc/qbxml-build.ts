/**
 * qbXML request builder: turns typed request objects into the exact text QuickBooks expects, children
 * in schema order (qbxml-schema.ts), text escaped, Latin-1, length-checked; amounts with two decimals.
 * Unknown fields, mixed schema alternatives and missing required fields are errors naming the field.
 */
import { MESSAGES, REF_FIELDS, type FieldSpec, type MessageDef } from './qbxml-schema';
import {
  QbxmlBuildError,
  describe,
  escapeXml,
  formatBool,
  formatDate,
  formatDateTime,
  formatId,
  formatInt,
  formatMoney,
  formatPrice,
  formatQuantity,
  formatText,
} from './qbxml-text';
import type { BuildOptions, QbxmlRequest } from './qbxml-requests';

export { QbxmlBuildError } from './qbxml-text';

const VERSION_RE = /^(?:[A-Z]{2})?\d{1,2}\.\d{1,2}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Checks unknown keys, schema choices and required fields of one aggregate. */
function checkFields(obj: Record<string, unknown>, specs: readonly FieldSpec[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!present(obj[key])) continue;
    if (!specs.some((s) => s.name === key)) throw new QbxmlBuildError(`${path}.${key}`, 'unknown field for this qbXML element');
  }
  const chosen = new Map<string, string>();
  const exclusive = new Map<string, string>();
  for (const spec of specs) {
    if (!present(obj[spec.name])) {
      if (spec.required) throw new QbxmlBuildError(`${path}.${spec.name}`, 'is required');
      continue;
    }
    if (spec.exclusive !== undefined) {
      const other = exclusive.get(spec.exclusive);
      if (other !== undefined) throw new QbxmlBuildError(`${path}.${spec.name}`, `cannot be combined with ${other} (schema alternatives)`);
      exclusive.set(spec.exclusive, spec.name);
    }
    if (spec.choice === undefined) continue;
    const alt = spec.alt as string;
    const before = chosen.get(spec.choice);
    if (before === undefined) chosen.set(spec.choice, `${alt}\u0000${spec.name}`);
    else if (before.split('\u0000')[0] !== alt) {
      throw new QbxmlBuildError(`${path}.${spec.name}`, `cannot be combined with ${before.split('\u0000')[1]} (schema alternatives)`);
    }
  }
}

function emitRef(out: string[], name: string, value: unknown, path: string): void {
  const ref = typeof value === 'string' ? { FullName: value } : value;
  if (!isPlainObject(ref)) throw new QbxmlBuildError(path, `expected {ListID, FullName} or a full name, got ${describe(value)}`);
  checkFields(ref, REF_FIELDS, path);
  if (!present(ref.ListID) && !present(ref.FullName)) throw new QbxmlBuildError(path, 'needs a ListID or a FullName');
  out.push(`<${name}>`);
  emitFields(out, ref, REF_FIELDS, path);
  out.push(`</${name}>`);
}

function emitValue(out: string[], spec: FieldSpec, value: unknown, path: string): void {
  const name = spec.name;
  switch (spec.kind) {
    case 'ref':
      emitRef(out, name, value, path);
      return;
    case 'aggregate': {
      if (!isPlainObject(value)) throw new QbxmlBuildError(path, `expected an object, got ${describe(value)}`);
      const children = spec.children as readonly FieldSpec[];
      checkFields(value, children, path);
      out.push(`<${name}>`);
      emitFields(out, value, children, path);
      out.push(`</${name}>`);
      return;
    }
    case 'enum':
      if (typeof value !== 'string' || !(spec.values as readonly string[]).includes(value)) {
        throw new QbxmlBuildError(path, `expected one of ${(spec.values as readonly string[]).join('|')}, got ${describe(value)}`);
      }
      out.push(`<${name}>${value}</${name}>`);
      return;
    default:
      out.push(`<${name}>${formatScalar(spec, value, path)}</${name}>`);
  }
}

function formatScalar(spec: FieldSpec, value: unknown, path: string): string {
  switch (spec.kind) {
    case 'text':
      return formatText(value, path, spec.max, spec.overLength);
    case 'id':
      return formatId(value, path);
    case 'money':
      return formatMoney(value, path);
    case 'price':
      return formatPrice(value, path);
    case 'quantity':
      return formatQuantity(value, path);
    case 'int':
      return formatInt(value, path);
    case 'bool':
      return formatBool(value, path);
    case 'date':
      return formatDate(value, path);
    case 'datetime':
      return formatDateTime(value, path);
    default:
      throw new QbxmlBuildError(path, `unsupported field kind ${spec.kind}`);
  }
}

function emitFields(out: string[], obj: Record<string, unknown>, specs: readonly FieldSpec[], path: string): void {
  for (const spec of specs) {
    const value = obj[spec.name];
    if (!present(value)) continue;
    const fieldPath = `${path}.${spec.name}`;
    if (Array.isArray(value)) {
      if (!spec.repeat) throw new QbxmlBuildError(fieldPath, 'does not repeat; got an array');
      value.forEach((v, i) => emitValue(out, spec, v, `${fieldPath}[${i}]`));
    } else {
      emitValue(out, spec, value, fieldPath);
    }
  }
}

function attr(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeXml(value)}"`;
}

/** Builds one `<XxxRq …>…</XxxRq>` element (no envelope). */
export function buildRequestElement(request: QbxmlRequest): string {
  const def: MessageDef | undefined = (MESSAGES as Record<string, MessageDef>)[request.type];
  if (!def) throw new QbxmlBuildError('type', `unknown request type ${describe(request.type)}`);
  const path = def.wrapper ?? def.rq;
  const data = (request.data ?? {}) as unknown;
  if (!isPlainObject(data)) throw new QbxmlBuildError(path, `expected an object, got ${describe(data)}`);
  checkFields(data, def.fields, path);

  let attrs = attr('requestID', request.requestID === undefined ? undefined : String(request.requestID));
  if ('iterator' in request || 'iteratorID' in request) {
    const { iterator, iteratorID } = request as { iterator?: string; iteratorID?: string };
    if (!def.iterator && (iterator !== undefined || iteratorID !== undefined)) {
      throw new QbxmlBuildError(`${def.rq}.iterator`, 'only queries take an iterator');
    }
    if (iterator !== undefined && !['Start', 'Continue', 'Stop'].includes(iterator)) {
      throw new QbxmlBuildError(`${def.rq}.iterator`, `expected Start|Continue|Stop, got ${describe(iterator)}`);
    }
    if ((iterator === 'Continue' || iterator === 'Stop') && iteratorID === undefined) {
      throw new QbxmlBuildError(`${def.rq}.iteratorID`, `is required with iterator="${iterator}"`);
    }
    if (iteratorID !== undefined && iterator !== 'Continue' && iterator !== 'Stop') {
      throw new QbxmlBuildError(`${def.rq}.iteratorID`, 'only goes with iterator="Continue" or "Stop"');
    }
    attrs += attr('iterator', iterator);
    if (iteratorID !== undefined) attrs += ` iteratorID="${formatId(iteratorID, `${def.rq}.iteratorID`)}"`;
  }

  const out: string[] = [`<${def.rq}${attrs}>`];
  if (def.wrapper) out.push(`<${def.wrapper}>`);
  emitFields(out, data, def.fields, path);
  if (def.wrapper) out.push(`</${def.wrapper}>`);
  out.push(`</${def.rq}>`);
  return out.join('');
}

/**
 * Builds a complete qbXML request message set:
 * `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="…">…`.
 */
export function buildQbxml(requests: QbxmlRequest | readonly QbxmlRequest[], options: BuildOptions = {}): string {
  const list = Array.isArray(requests) ? (requests as readonly QbxmlRequest[]) : [requests as QbxmlRequest];
  if (list.length === 0) throw new QbxmlBuildError('requests', 'at least one request is needed');
  const onError = options.onError ?? 'stopOnError';
  if (onError !== 'stopOnError' && onError !== 'continueOnError') {
    throw new QbxmlBuildError('onError', `expected stopOnError|continueOnError, got ${describe(onError)}`);
  }
  const version = options.version ?? '13.0';
  if (!VERSION_RE.test(version)) throw new QbxmlBuildError('version', `not a qbXML version: ${describe(version)}`);
  const body = list.map(buildRequestElement).join('');
  return (
    `<?xml version="1.0" encoding="utf-8"?><?qbxml version="${version}"?>` +
    `<QBXML><QBXMLMsgsRq onError="${onError}">${body}</QBXMLMsgsRq></QBXML>`
  );
}

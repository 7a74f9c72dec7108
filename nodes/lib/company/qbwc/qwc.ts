import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { escapeXml } from './qbxml-text';

/** Why the real Web Connector would refuse (or complain about) the generated file. */
export interface QwcWarning {
  /** The Web Connector error the user would see, e.g. "QBWC1010". */
  code: 'QBWC1000' | 'QBWC1001' | 'QBWC1002' | 'QBWC1010';
  message: string;
}

export interface QwcOptions {
  /** Shown in the Web Connector and passed to QuickBooks, which authorizes the app by this name. */
  appName: string;
  /** Public SOAP endpoint, e.g. joinPublicUrl(QBWC_PUBLIC_URL, '/blubilling/qbwc'). */
  appUrl: string;
  /** Support page; must be on the same host as appUrl (default: appUrl itself, which answers GET with 200). */
  appSupport?: string;
  appDescription?: string;
  /** Passed to OpenConnection; unused by QuickBooks (default ""). */
  appId?: string;
  /** The Web Connector user name (the password is typed into the Web Connector, never in the file). */
  userName: string;
  /** Id of the node that owns the endpoint; OwnerID and FileID are derived from it. */
  nodeId: string;
  /** Bump to get a new OwnerID/FileID pair (QBWC1039 "unique OwnerID/FileID pair required"). Default 0. */
  guidGeneration?: number;
  /** AutoRun interval in minutes (Scheduler/RunEveryNMinutes); omitted when not set. */
  runEveryMinutes?: number;
  /** Default 'QBFS' (QuickBooks Financial Software). */
  qbType?: 'QBFS' | 'QBPOS';
  /** Default false: exports need write access. */
  readOnly?: boolean;
  /** UnattendedModePref: run while QuickBooks is closed. Default 'optional'. */
  unattendedMode?: 'required' | 'optional';
}

export interface QwcFile {
  /** The .qwc document (serve as application/x-qwc or text/xml; e.g. "<appName>.qwc"). */
  xml: string;
  ownerId: string;
  fileId: string;
  warnings: QwcWarning[];
}

/**
 * A GUID in the Web Connector's `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` form, derived from the
 * node id and a purpose ("owner", "file") by hashing (a name-based UUID, version 5 layout): the same
 * inputs always give the same GUID, so the Web Connector keeps recognising the app across restarts.
 */
export function stableGuid(nodeId: string, purpose: string, generation = 0): string {
  const h = createHash('sha1').update(`@qbsync/node-red-quickbooks\u0000${nodeId}\u0000${purpose}\u0000${generation}`, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50; // version 5 (name-based, SHA-1)
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex').toUpperCase();
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}}`;
}

/** Joins a public base URL (e.g. QBWC_PUBLIC_URL "https://qb.example.com/") and an endpoint path. */
export function joinPublicUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function parseUrl(label: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new Error(`${label} is not a valid absolute URL: "${value}"`);
  }
}

function isLocalhost(host: string): boolean {
  return host.toLowerCase() === 'localhost';
}

/** What the real Web Connector would object to in these URLs. */
export function qwcUrlWarnings(appUrl: string, appSupport: string): QwcWarning[] {
  const url = parseUrl('AppURL', appUrl);
  const support = parseUrl('AppSupport', appSupport);
  const warnings: QwcWarning[] = [];
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'https:' && !isLocalhost(host)) {
    warnings.push({ code: 'QBWC1010', message: `AppURL must use https unless the host is localhost (got ${url.protocol}//${url.host})` });
  }
  if (isIP(host) !== 0) {
    warnings.push({ code: 'QBWC1001', message: `AppURL must use a host name, not an IP address (${host})` });
  }
  const supportHost = support.hostname.replace(/^\[|\]$/g, '');
  if (isIP(supportHost) !== 0) {
    warnings.push({ code: 'QBWC1002', message: `AppSupport must use a host name, not an IP address (${supportHost})` });
  }
  if (supportHost.toLowerCase() !== host.toLowerCase()) {
    warnings.push({ code: 'QBWC1000', message: `AppSupport host (${supportHost}) differs from AppURL host (${host})` });
  }
  return warnings;
}

function positiveInt(label: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${label} must be a positive integer (got ${value})`);
  return value;
}

/** Builds the .qwc file the user adds to the QuickBooks Web Connector. Throws on an invalid URL or interval. */
export function buildQwc(options: QwcOptions): QwcFile {
  const appSupport = options.appSupport ?? options.appUrl;
  const warnings = qwcUrlWarnings(options.appUrl, appSupport);
  const generation = options.guidGeneration ?? 0;
  const ownerId = stableGuid(options.nodeId, 'owner', generation);
  const fileId = stableGuid(options.nodeId, 'file', generation);
  const el = (name: string, value: string): string => `  <${name}>${escapeXml(value)}</${name}>\n`;
  let xml = '<?xml version="1.0"?>\n<QBWCXML>\n';
  xml += el('AppName', options.appName);
  xml += el('AppID', options.appId ?? '');
  xml += el('AppURL', options.appUrl);
  xml += el('AppDescription', options.appDescription ?? options.appName);
  xml += el('AppSupport', appSupport);
  xml += el('UserName', options.userName);
  xml += el('OwnerID', ownerId);
  xml += el('FileID', fileId);
  xml += el('QBType', options.qbType ?? 'QBFS');
  if (options.runEveryMinutes !== undefined) {
    const minutes = positiveInt('runEveryMinutes', options.runEveryMinutes);
    xml += `  <Scheduler>\n    <RunEveryNMinutes>${minutes}</RunEveryNMinutes>\n  </Scheduler>\n`;
  }
  xml += el('IsReadOnly', options.readOnly ? 'true' : 'false');
  xml += el('UnattendedModePref', options.unattendedMode === 'required' ? 'umpRequired' : 'umpOptional');
  xml += el('Style', 'Document');
  xml += '</QBWCXML>\n';
  return { xml, ownerId, fileId, warnings };
}

import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escapeXml } from './qbxml-text';

const WSDL_FILE = 'qbwc.wsdl';

/**
 * Finds qbwc.wsdl next to this compiled file (the build copies it there) or, when running from a
 * build folder that did not copy assets, in the source tree (nodes/lib/company/qbwc).
 */
export function wsdlPath(): string {
  const candidates = [join(__dirname, WSDL_FILE)];
  // <root>/<outDir>/nodes/lib/company/qbwc -> <root>/nodes/lib/company/qbwc
  const root = resolve(__dirname, '..', '..', '..', '..', '..');
  candidates.push(join(root, 'nodes', 'lib', 'company', 'qbwc', WSDL_FILE));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${WSDL_FILE} not found (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: string | undefined;

/** The WSDL text as shipped (soap:address location is a placeholder). */
export function loadWsdl(): string {
  if (cached === undefined) cached = readFileSync(wsdlPath(), 'utf8');
  return cached;
}

/** The WSDL with soap:address pointing at the given endpoint URL. */
export function renderWsdl(location: string): string {
  return loadWsdl().replace(/(<soap:address\s+location=")[^"]*(")/, (_m, open: string, close: string) => open + escapeXml(location) + close);
}

import { escapeXml } from './qbxml-text';

export type FaultCode = 'soap:Client' | 'soap:Server';

/** A SOAP 1.1 Fault envelope (the Web Connector is a SOAP 1.1 client). */
export function soapFault(code: FaultCode, message: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<soap:Body><soap:Fault>' +
    `<faultcode>${code}</faultcode>` +
    `<faultstring>${escapeXml(message)}</faultstring>` +
    '</soap:Fault></soap:Body></soap:Envelope>'
  );
}

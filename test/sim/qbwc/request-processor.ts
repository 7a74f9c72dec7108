/**
 * What the Web Connector simulator drives in place of QuickBooks' request processor (QBXMLRP2).
 * A QuickBooks Desktop company simulator implements it; processRequest takes one qbXML request
 * document and returns the qbXML response document. Throwing means the request processor failed
 * (the Web Connector then reports hresult 0x80040400 and the error message instead of a response).
 */
export interface RequestProcessor {
  processRequest(qbxml: string, ticket?: string): string;
}

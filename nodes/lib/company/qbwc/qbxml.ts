/** qbXML library: request builder, response parser and status classification (no Node-RED, no dependencies). */
export * from './qbxml-build';
export * from './qbxml-parse';
export * from './qbxml-status';
export * from './qbxml-requests';
export { MESSAGES, type MessageType, type FieldSpec, type MessageDef } from './qbxml-schema';
export { escapeXml, formatMoney, formatPrice, formatQuantity, formatDate, formatDateTime } from './qbxml-text';

export type { RequestProcessor } from './request-processor';
export {
  WebConnectorSimulator,
  WebConnectorError,
  type WebConnectorOptions,
  type FaultOptions,
  type SessionResult,
  type TranscriptEntry,
  type QbwcOperation,
} from './web-connector';
export { requestEnvelope, parseAnswer, escapeText, INTUIT_NS, SOAP_ENV_NS, type ParsedAnswer } from './soap-wire';
export { postSoap, DOTNET_USER_AGENT } from './soap-transport';

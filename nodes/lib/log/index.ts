export { ActivityLog } from './log';
export type { LogEntry, LogUpdate } from './log';

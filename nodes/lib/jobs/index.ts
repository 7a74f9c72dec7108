export { Outbox } from './outbox';
export type { Job, JobError, JobSpec, JobState } from './outbox';

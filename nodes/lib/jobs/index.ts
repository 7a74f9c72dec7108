export { Outbox } from './outbox';
export type { Job, JobError, JobSpec, JobState } from './outbox';
export { RANK } from './kinds';
export type { FieldCut, ImportKind, ImportPayload, JobKind, WriteEntity, WriteKind, WritePayload, WriteResult } from './kinds';
export { isJobRef, jobRefsIn, resolveJobRefs } from './refs';
export type { JobRef } from './refs';
export { hasJobTag, jobTag, tagIn, withJobTag } from './tag';

export { Mirror } from './mirror';
export type { MirrorRecord, MirrorCodecs, MirrorSource } from './mirror';
export { keyId } from './table-mirror';
export type { MirrorKey, MirrorReplacement } from './table-mirror';

export { Mirror } from './mirror';
export type { MirrorRecord, MirrorCodecs, MirrorSource } from './mirror';

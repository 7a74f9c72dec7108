export { Mirror } from './mirror';
export type { MirrorRecord } from './mirror';

export { Store, acquireStore, releaseStore, storeDir, storeUrl, storeSchema, COLLECTIONS } from './store';
export type { Collection, CollectionName, StoreOptions, QuarantineReport } from './store';
export type { SegmentStore } from './segments';
export type { Instances } from './instances';
export { StoreLockedError } from './lock';
export { SecretBox } from './secrets';
export { TokenVault, sharedVault } from './tokens';
export { companyTopic, fewIds, MAX_MESSAGE_BYTES } from './events';
export type { StoreEvents, StoreMessage, StoreListener } from './events';

export { Store, acquireStore, releaseStore, storeDir, COLLECTIONS } from './store';
export type { Collection, CollectionName, StoreOptions, QuarantineReport } from './store';
export { StoreLockedError } from './lock';
export { SecretBox } from './secrets';
export { TokenVault, sharedVault } from './tokens';

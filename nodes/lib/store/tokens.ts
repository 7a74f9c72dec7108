import type { Store } from './store';

/**
 * OAuth tokens kept sealed (AES-256-GCM) in the store's `tokens` collection, keyed by connection and
 * realm. `save` returns only once the rotated token is on disk and fsynced, so it can be used safely.
 */
export class TokenVault<T = unknown> {
  constructor(private readonly store: Store) {}

  async load(key: string): Promise<T | null> {
    const doc = await this.store.tokens.findOne({ _id: key });
    return doc ? this.store.secrets.open<T>(doc.sealed as string) : null;
  }

  async save(key: string, tokens: T): Promise<void> {
    const sealed = this.store.secrets.seal(tokens);
    await this.store.tokens.update({ _id: key }, { _id: key, sealed, savedAt: new Date().toISOString() }, { upsert: true });
    await this.store.flush('tokens');
  }

  async remove(key: string): Promise<void> {
    await this.store.tokens.remove({ _id: key }, { multi: false });
    await this.store.flush('tokens');
  }
}

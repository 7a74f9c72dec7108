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

  /**
   * Saves `tokens` only when the key has none yet (a bootstrap token must never overwrite a rotated
   * one, even when two connections start at once); returns whether it saved.
   */
  async saveIfAbsent(key: string, tokens: T): Promise<boolean> {
    try {
      await this.store.tokens.insert({ _id: key, sealed: this.store.secrets.seal(tokens), savedAt: new Date().toISOString() });
    } catch (err) {
      if (/unique constraint/i.test(String((err as Error).message))) return false;
      throw err;
    }
    await this.store.flush('tokens');
    return true;
  }

  /** `fn` alone among the instances sharing the store (store.exclusive), e.g. one token refresh per realm. */
  exclusive<R>(key: string, fn: () => Promise<R>): Promise<R> {
    return this.store.exclusive(`tokens:${key}`, fn);
  }

  async remove(key: string): Promise<void> {
    await this.store.tokens.remove({ _id: key }, { multi: false });
    await this.store.flush('tokens');
  }
}

const vaults = new WeakMap<Store, TokenVault<any>>();

/**
 * The one vault of a store: every connection to the same QuickBooks company shares it, so their token
 * managers see one rotated refresh token and refresh one at a time (single flight is per vault + key).
 */
export function sharedVault<T>(store: Store): TokenVault<T> {
  let vault = vaults.get(store);
  if (!vault) vaults.set(store, (vault = new TokenVault<T>(store)));
  return vault as TokenVault<T>;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'v1';

/**
 * Encrypts small secrets (OAuth tokens) at rest with AES-256-GCM. The key comes from `QB_STORE_KEY`
 * (or an explicit secret, e.g. Node-RED's credentialSecret) stretched with scrypt, else from a random
 * key file created beside the store with mode 0600.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromSecret(secret: string, salt = 'qbsync-store'): SecretBox {
    if (!secret) throw new Error('an empty store secret cannot encrypt anything');
    return new SecretBox(crypto.scryptSync(secret, salt, 32));
  }

  /** The key for `dir`: the given secret, else `QB_STORE_KEY`, else `dir/secret.key` (created once). */
  static forStore(dir: string, secret = process.env.QB_STORE_KEY): SecretBox {
    if (secret) return SecretBox.fromSecret(secret);
    const file = path.join(dir, 'secret.key');
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`the store key file ${file} is damaged (expected 32 bytes)`);
    return new SecretBox(key);
  }

  seal(value: unknown): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [PREFIX, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open<T = unknown>(sealed: string): T {
    const [prefix, iv, tag, body] = sealed.split(':');
    if (prefix !== PREFIX || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      return JSON.parse(text) as T;
    } catch {
      throw new Error('cannot decrypt a stored secret: the store key (QB_STORE_KEY or secret.key) has changed');
    }
  }
}

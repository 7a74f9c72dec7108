import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Builds a constant-time check of a username/password pair. Both sides are hashed first so the
 * comparison never depends on lengths; both fields are always compared (no short circuit).
 * An empty configured password never matches (a misconfigured node must not let anyone in).
 */
export function credentialChecker(username: string, password: string): (user: string, pass: string) => boolean {
  const wantUser = digest(username);
  const wantPass = digest(password);
  const configured = username.length > 0 && password.length > 0;
  return (user: string, pass: string): boolean => {
    const userOk = timingSafeEqual(digest(user), wantUser);
    const passOk = timingSafeEqual(digest(pass), wantPass);
    return configured && userOk && passOk;
  };
}

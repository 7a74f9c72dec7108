import type { QboSimulator } from '../sim/qbo';

/**
 * Sets environment variables for a test file (as a shipped flow reads them) and returns the function
 * that restores what was there before.
 */
export function setEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The QBO_* variables that point a `qbo-connection` (custom environment) at the simulator. */
export function qboSimEnv(sim: QboSimulator, bootstrap = true): Record<string, string> {
  return {
    QBO_ENVIRONMENT: 'custom', QBO_BASE_URL: sim.baseUrl, QBO_TOKEN_URL: sim.tokenUrl, QBO_AUTH_URL: sim.authorizeUrl,
    QBO_CLIENT_ID: sim.clientId, QBO_CLIENT_SECRET: sim.clientSecret, QBO_REALM_ID: sim.realmId,
    ...(bootstrap ? { QBO_REFRESH_TOKEN: sim.issueRefreshToken() } : {}),
  };
}

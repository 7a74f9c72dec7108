/** One HTTP request to a running Node-RED (`npm start`), its answer read whole: status, text, JSON body (when it is JSON), headers. */
export async function call(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; text: string; body: any; headers: Headers }> {
  const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body, headers: res.headers };
}

/** A JSON POST with `call`. */
export function postJson(base: string, path: string, body: unknown): ReturnType<typeof call> {
  return call(base, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

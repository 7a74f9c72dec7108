/** HTTP transport of the Web Connector simulator: one POST per call, headers like the .NET client. */
import * as http from 'node:http';
import * as https from 'node:https';

export const DOTNET_USER_AGENT = 'Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface PostOptions {
  /** Send `Expect: 100-continue` and wait for the server's go-ahead before the body, as .NET does. */
  expectContinue: boolean;
  /** Abort the call after this long (the real client's timeout is minutes; tests use less). */
  timeoutMs: number;
}

export function postSoap(url: string, soapAction: string, envelope: string, options: PostOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  const body = Buffer.from(envelope, 'utf8');
  const headers: Record<string, string> = {
    'User-Agent': DOTNET_USER_AGENT,
    'Content-Type': 'text/xml; charset=utf-8',
    SOAPAction: `"${soapAction}"`,
    'Content-Length': String(body.length),
  };
  if (options.expectContinue) headers.Expect = '100-continue';
  return new Promise<HttpAnswer>((resolve, reject) => {
    let sent = false;
    const req = lib.request(target, { method: 'POST', headers, timeout: options.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        // The server answered without asking for the body (e.g. 413 on Content-Length): drop the socket.
        if (!sent) req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    const send = (): void => {
      sent = true;
      req.end(body);
    };
    if (options.expectContinue) req.on('continue', send);
    else send();
  });
}

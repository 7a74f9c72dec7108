/**
 * The Web Connector side of bench/qbwc-import.bench.ts, in its own process so the server's CPU and
 * memory figures are the server's alone: a QuickBooks Desktop company simulator seeded with
 * BENCH_RECORDS customers, driven by the Web Connector simulator against the URL it is given.
 *
 * Started with child_process.fork(<this file>, [JSON ClientConfig]); seeds, sends `ready`, waits for
 * `go`, runs one session and sends `done`. Not a benchmark of its own (no `.bench` in the name).
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { QbdCompany } from '../test/sim/qbd';
import { INTUIT_NS, postSoap, requestEnvelope, WebConnectorSimulator, type RequestProcessor } from '../test/sim/qbwc';
import { COMPANY_FILE, MODIFIED_FROM, PASSWORD, USER, type ClientConfig, type ClientDone, type FromClient, type ToClient } from './qbwc-import-shared';

const config = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;

function send(msg: FromClient): void {
  process.send?.(msg);
}

/** The company simulator, writing each CustomerQuery response (the exact string the server receives) to the pages file. */
function processor(qbd: QbdCompany, out: { bytes: number; fd?: number }): RequestProcessor {
  return {
    processRequest(qbxml: string, ticket?: string): string {
      const response = qbd.processRequest(qbxml, ticket);
      if (qbxml.includes('<CustomerQueryRq')) {
        const body = Buffer.from(response, 'utf8');
        out.bytes += body.length;
        if (out.fd !== undefined) {
          const len = Buffer.alloc(4);
          len.writeUInt32LE(body.length, 0);
          fs.writeSync(out.fd, len);
          fs.writeSync(out.fd, body);
        }
      }
      return response;
    },
  };
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10));
    }
  });
}

/**
 * The same call sequence as the Web Connector simulator (same envelopes, headers and transport), reading
 * results leniently: quickbooks-js answers `<xResult><string>…</string></xResult>` and `<int>`, which the
 * real .NET client (and the strict simulator) reads as null (qbwc.md §1.5).
 */
async function lenientSession(url: string, proc: RequestProcessor): Promise<Omit<ClientDone, 'type' | 'responseBytes' | 'clientCpuMs' | 'clientMs'>> {
  const errors: string[] = [];
  let requests = 0;
  let finalPercent: number | undefined;
  const call = async (op: string, params: ReadonlyArray<readonly [string, string | number]>): Promise<string[]> => {
    const http = await postSoap(url, INTUIT_NS + op, requestEnvelope(op, params), { expectContinue: true, timeoutMs: 300_000 });
    if (http.status !== 200) throw new Error(`${op}: HTTP ${http.status}`);
    const m = new RegExp(`<(?:\\w+:)?${op}Result[^>]*?(?:/>|>([\\s\\S]*?)</(?:\\w+:)?${op}Result>)`).exec(http.body);
    if (!m) throw new Error(`${op}: no ${op}Result`);
    const inner = m[1] ?? '';
    const nested = [...inner.matchAll(/<(?:string|int)(?:\s*\/>|>([\s\S]*?)<\/(?:string|int)>)/g)].map((x) => unescapeXml(x[1] ?? ''));
    return nested.length > 0 || inner.includes('<') ? nested : [unescapeXml(inner)];
  };
  let closeMessage: string | undefined;
  try {
    await call('serverVersion', []);
    const cv = (await call('clientVersion', [['strVersion', '2.3.0.215']]))[0] ?? '';
    if (/^[EO]:/i.test(cv)) throw new Error(`clientVersion: ${cv}`);
    const [ticket = '', status = ''] = await call('authenticate', [['strUserName', USER], ['strPassword', PASSWORD]]);
    if (/^(nvu|none|busy)$/i.test(status)) throw new Error(`authenticate answered "${status}"`);
    const company = status || COMPANY_FILE;
    for (;;) {
      const [request = ''] = await call('sendRequestXML', [
        ['ticket', ticket], ['strHCPResponse', ''], ['strCompanyFileName', company], ['qbXMLCountry', 'US'], ['qbXMLMajorVers', 13], ['qbXMLMinorVers', 0],
      ]);
      if (request === '') {
        errors.push(`sendRequestXML answered "": ${(await call('getLastError', [['ticket', ticket]]))[0] ?? ''}`);
        break;
      }
      requests++;
      const response = proc.processRequest(request, ticket);
      const percent = Number.parseInt((await call('receiveResponseXML', [['ticket', ticket], ['response', response], ['hresult', ''], ['message', '']]))[0] ?? '', 10);
      finalPercent = percent;
      if (!Number.isFinite(percent) || percent < 0) {
        errors.push(`receiveResponseXML answered ${percent}`);
        break;
      }
      if (percent >= 100) break;
    }
    closeMessage = (await call('closeConnection', [['ticket', ticket]]))[0];
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  return { ok: errors.length === 0, errors, requests, finalPercent, closeMessage };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const qbd = new QbdCompany({ companyFile: COMPANY_FILE });
  qbd.seedCustomers(config.records, { modifiedFrom: new Date(MODIFIED_FROM), stepSeconds: 60, inactiveEvery: 10 });
  const out: { bytes: number; fd?: number } = { bytes: 0, fd: config.pagesFile ? fs.openSync(config.pagesFile, 'w') : undefined };
  const proc = processor(qbd, out);
  send({ type: 'ready', seedMs: Math.round(performance.now() - t0) });
  await new Promise<void>((resolve) => process.once('message', (m: ToClient) => m.type === 'go' && resolve()));

  const cpu0 = process.cpuUsage();
  const s0 = performance.now();
  let done: Omit<ClientDone, 'type' | 'responseBytes' | 'clientCpuMs' | 'clientMs'>;
  if (config.mode === 'strict') {
    const sim = new WebConnectorSimulator({ url: config.url, username: USER, password: PASSWORD, processor: proc, timeoutMs: 300_000 });
    const r = await sim.runSession();
    sim.transcript.length = 0;
    done = { ok: r.ok, errors: r.errors, requests: r.requests.length, finalPercent: r.finalPercent, closeMessage: r.closeMessage };
  } else {
    done = await lenientSession(config.url, proc);
  }
  const cpu = process.cpuUsage(cpu0);
  if (out.fd !== undefined) fs.closeSync(out.fd);
  send({ type: 'done', ...done, responseBytes: out.bytes, clientCpuMs: Math.round((cpu.user + cpu.system) / 1000), clientMs: Math.round(performance.now() - s0) });
  process.disconnect?.();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
  process.disconnect?.();
});

/**
 * qbwc-server: a QuickBooks Desktop company reached through the QuickBooks Web Connector. Serves the
 * Web Connector's SOAP service on Node-RED's HTTP server at the configured path, and hands the company
 * (store-backed queue, mirror, matches) to every QuickBooks node that chooses this connection.
 * Wiring only: the service and the company are in nodes/lib/company/qbwc.
 */
import { DesktopCompany } from '../lib/company/qbwc/desktop-company';
import { joinPublicUrl, buildQwc } from '../lib/company/qbwc/qwc';
import { createQbwcService, type QbwcService } from '../lib/company/qbwc/service';
import type { Company } from '../lib/company/types';
import { registerAdminRoutes } from '../lib/node-red/admin-routes';
import { isNotConfigured, NotConfiguredError } from '../lib/errors';
import { reportNotConfigured } from '../lib/node-red/first-start';
import { guardClose } from '../lib/node-red/errors';
import { mountRoute } from '../lib/node-red/http-routes';
import type { NodeAPI, RequestLike, ResponseLike, RuntimeNode } from '../lib/node-red/types';
import { createConfiguredNode } from '../lib/node-red/migrations';
import { acquireStore, releaseStore, storeDir } from '../lib/store';
import { fromEnv, intSetting } from '../lib/util/env';
import { generalSettings, type GeneralSettingsConfig } from '../lib/node-red/settings';

interface QbwcServerConfig extends GeneralSettingsConfig {
  name?: string;
  path?: string;
  appName?: string;
  companyFile?: string;
  publicUrl?: string;
  runEveryMinutes?: string | number;
  pageSize?: string | number;
  autoApprove?: boolean;
}

interface QbwcServerNode extends RuntimeNode {
  edition: 'qbd';
  whenCompany(): Promise<Company>;
  qwc(): ReturnType<typeof buildQwc>;
}

const DEFAULT_PATH = '/blubilling/qbwc';
/**
 * A Web Connector session idle this long is over (the Web Connector crashed or was closed without
 * closeConnection); until then a new run is answered "busy". A live session calls back within
 * seconds, and QuickBooks answers a bounded page well within this.
 */
const SESSION_IDLE_MS = 3 * 60_000;

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function QbwcServerNode(this: QbwcServerNode, config: QbwcServerConfig): void {
    config = createConfiguredNode(RED, this, config);
    const node = this;
    const path = (config.path || DEFAULT_PATH).startsWith('/') ? config.path || DEFAULT_PATH : `/${config.path}`;
    const username = fromEnv(node.credentials?.username, 'QBWC_USERNAME');
    const password = fromEnv(node.credentials?.password, 'QBWC_PASSWORD');
    const dir = storeDir(RED.settings.userDir);
    node.edition = 'qbd';

    let service: QbwcService | undefined;
    let unmount: (() => void) | undefined;
    let company: DesktopCompany | undefined;
    let acquired = false;
    let closing = false;
    const ready = (async () => {
      if (!username || !password) {
        const needs = [...(username ? [] : ['QBWC_USERNAME']), ...(password ? [] : ['QBWC_PASSWORD'])];
        throw new NotConfiguredError('qbwc-server: set the Web Connector user name and password (or QBWC_USERNAME and QBWC_PASSWORD)', needs);
      }
      const store = await acquireStore(dir, { warn: (m) => node.warn(m) });
      acquired = true;
      if (closing) throw new Error('qbwc-server closed while starting');
      company = new DesktopCompany({
        id: node.id, store, settings: generalSettings(config), autoApprove: config.autoApprove === true,
        companyFile: fromEnv(config.companyFile, 'QBWC_COMPANY_FILE'), pageSize: intSetting(config.pageSize, 500, 1),
      });
      await company.start();
      service = await createQbwcService({
        workSource: company, username, password, publicUrl: publicUrlOf(config, path), idleTimeoutMs: SESSION_IDLE_MS,
        // failures and failed log-ins (user name and address, never the password) reach the log; session chatter does not
        log: (level: string, msg: string) => (level === 'info' ? undefined : node.warn(msg)),
      });
      if (closing) throw new Error('qbwc-server closed while starting');
      unmount = mountRoute(RED.httpNode as never, path, service.handler);
      node.log(`Web Connector service at ${path}`);
      return company as Company;
    })();
    ready.catch((err: Error) => (isNotConfigured(err) ? reportNotConfigured(RED, node, err) : node.error(err.message)));

    node.whenCompany = () => ready;
    node.qwc = () =>
      buildQwc({
        appName: config.appName || 'BluBilling QuickBooks Sync', appUrl: publicUrlOf(config, path), userName: username || 'qbsync',
        nodeId: node.id, runEveryMinutes: intSetting(config.runEveryMinutes, 0, 1) || undefined,
        appDescription: 'Imports and exports between Node-RED (@qbsync/node-red-quickbooks) and QuickBooks Desktop',
      });

    node.on('close', guardClose(node, async () => {
      closing = true;
      await ready.catch(() => undefined); // let a start in progress finish (or stop) first
      unmount?.();
      await service?.close();
      await company?.close();
      if (acquired) await releaseStore(dir);
    }));
  }

  function publicUrlOf(config: QbwcServerConfig, path: string): string {
    const base = fromEnv(config.publicUrl, 'QBWC_PUBLIC_URL') || `http://localhost:${(RED.settings.uiPort as number) || 1880}`;
    const root = typeof RED.settings.httpNodeRoot === 'string' ? RED.settings.httpNodeRoot.replace(/\/$/, '') : '';
    return joinPublicUrl(base, `${root}${path}`);
  }

  RED.nodes.registerType('qbwc-server', QbwcServerNode as never, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });

  // The editor's ".qwc file" button: the Web Connector's application file for a deployed node.
  RED.httpAdmin.get('/qbwc-server/:id/qwc', RED.auth.needsPermission('qbwc-server.read'), (req: RequestLike, res: ResponseLike) => {
    const node = RED.nodes.getNode(req.params.id) as QbwcServerNode | null;
    if (!node || typeof node.qwc !== 'function') {
      res.status(404).json({ error: 'deploy the qbwc-server node first' });
      return;
    }
    try {
      const qwc = node.qwc();
      if (req.query.format === 'json') {
        res.json({ warnings: qwc.warnings, ownerId: qwc.ownerId, fileId: qwc.fileId });
        return;
      }
      res.set?.('Content-Disposition', `attachment; filename="${(node.name || 'qbsync').replace(/[^\w.-]+/g, '_')}.qwc"`);
      res.type?.('application/xml');
      res.send(qwc.xml);
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
    }
  });
};

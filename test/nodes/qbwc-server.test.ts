import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeHelper as helper } from '../support/helper';
import { HttpNodeCapture } from '../support/flow-server';
import { useNodeRed } from '../support/lifecycle';
import { tempDir } from '../support/tmp';
import { WebConnectorSimulator } from '../sim/qbwc';
import { QbdCompany } from '../sim/qbd';

const httpNode = new HttpNodeCapture();
const qbwcServer = httpNode.wrap(require('../../nodes/qbwc-server/qbwc-server'));
const itemMatcher = require('../../nodes/qb-item-matcher/qb-item-matcher');

const tmp = tempDir();
let port = 0;

async function serveHttpNode(): Promise<void> {
  port = await httpNode.serve();
}

const flow = (props: Record<string, unknown> = {}) => [
  { id: 'tab', type: 'tab' },
  { id: 'wc', type: 'qbwc-server', name: 'Desktop', path: '/blubilling/qbwc', autoApprove: true, pageSize: 50, runEveryMinutes: 5, ...props },
  { id: 'm1', z: 'tab', type: 'qb-item-matcher', edition: 'qbd', qbwc: 'wc', wires: [[], [], []] },
];
const creds = { wc: { username: 'bb-sync', password: 's3cret-pass' } };

describe('qbwc-server config node', () => {
  useNodeRed(tmp, httpNode);

  it('serves the Web Connector at its path; a session imports items into the mirror', async () => {
    await helper.load([qbwcServer, itemMatcher], flow(), creds);
    await serveHttpNode();
    const company = await (helper.getNode('wc') as any).whenCompany();
    await company.resync({ full: true });
    const qb = new QbdCompany({ companyFile: 'C:\\qb\\oysters.qbw' });
    qb.seedItems(3);
    const wc = new WebConnectorSimulator({ url: `http://127.0.0.1:${port}/blubilling/qbwc`, username: 'bb-sync', password: 's3cret-pass', processor: qb });
    const result = await wc.runSession();
    assert.equal(result.ok, true, JSON.stringify(result.errors));
    assert.equal((await company.mirror.list('items')).length, 3);
  });

  it('answers nvu to a wrong password and never queues work for it', async () => {
    await helper.load([qbwcServer, itemMatcher], flow(), creds);
    await serveHttpNode();
    await (helper.getNode('wc') as any).whenCompany();
    const wc = new WebConnectorSimulator({ url: `http://127.0.0.1:${port}/blubilling/qbwc`, username: 'bb-sync', password: 'wrong', processor: new QbdCompany({}) });
    const result = await wc.runSession();
    assert.equal(result.authStatus, 'nvu');
    const warned = helper.log().args.map((a) => a[0]).filter((e) => e?.id === 'wc' && e?.level === 30).map((e) => String(e.msg));
    assert.ok(warned.some((m) => /authentication failed for user "bb-sync" from 127\.0\.0\.1 \(invalid username or password, failure 1\)/.test(m)), warned.join('\n'));
    assert.ok(!warned.some((m) => m.includes('wrong')), 'never the password');
  });

  it('the .qwc route gives the Web Connector file with a stable OwnerID and warns on a plain http public URL', async () => {
    await helper.load([qbwcServer, itemMatcher], flow({ publicUrl: 'http://qb.example.com' }), creds);
    await (helper.getNode('wc') as any).whenCompany();
    const res = await helper.request().get('/qbwc-server/wc/qwc').expect(200);
    assert.match(res.text, /<AppURL>http:\/\/qb\.example\.com\/blubilling\/qbwc<\/AppURL>/);
    assert.match(res.text, /<RunEveryNMinutes>5<\/RunEveryNMinutes>/);
    assert.match(res.text, /<UserName>bb-sync<\/UserName>/);
    assert.doesNotMatch(res.text, /s3cret-pass/);
    const again = await helper.request().get('/qbwc-server/wc/qwc').expect(200);
    assert.equal(/<OwnerID>(.*)<\/OwnerID>/.exec(again.text)?.[1], /<OwnerID>(.*)<\/OwnerID>/.exec(res.text)?.[1]);
    const info = await helper.request().get('/qbwc-server/wc/qwc?format=json').expect(200);
    assert.ok(info.body.warnings.some((w: { code: string }) => w.code === 'QBWC1010'), JSON.stringify(info.body.warnings));
  });

  it('without credentials it reports a clear error naming the settings', async () => {
    await helper.load([qbwcServer, itemMatcher], flow(), {});
    await assert.rejects((helper.getNode('wc') as any).whenCompany(), /set the Web Connector user name and password/);
  });
});

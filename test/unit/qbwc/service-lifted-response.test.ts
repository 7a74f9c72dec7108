/**
 * receiveResponseXML: the service lifts the escaped qbXML text out of the envelope before the soap
 * package parses it (liftResponseText). The work source must get exactly what the soap package alone
 * would have handed over, for every envelope shape; shapes that are not plain are left to the soap package.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { liftResponseText } from '../../../nodes/lib/company/qbwc/http-body';
import type { QbwcWorkSource, ReceivedResponse } from '../../../nodes/lib/company/qbwc/work-source';
import { escapeText, parseAnswer, requestEnvelope, INTUIT_NS } from '../../sim/qbwc';
import { PASSWORD, rawRequest, startService, USER, type Running } from './service-helpers';

const QBXML =
  '<?xml version="1.0" ?>\r\n<QBXML>\n<QBXMLMsgsRs>\n<CustomerQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">\n' +
  '<CustomerRet><ListID>80000001-1718919600</ListID><Name>Baker &amp; Sons "Ltd" \'Co\'</Name><Email>ap@b.example</Email>' +
  '<Notes>Café — Zürich ✓ 😀 tab\there</Notes></CustomerRet>\n</CustomerQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n';

function envelope(response: string, operation = 'receiveResponseXML'): string {
  return requestEnvelope(operation, [['ticket', 'T-1'], ['response', response], ['hresult', ''], ['message', '']]);
}

/** A hand-written envelope (for shapes the simulator does not produce). */
function rawEnvelope(responseElement: string, extraBody = ''): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>' +
    `<receiveResponseXML xmlns="${INTUIT_NS}"><ticket>TICKET</ticket>${responseElement}<hresult /><message /></receiveResponseXML>${extraBody}` +
    '</soap:Body></soap:Envelope>'
  );
}

describe('liftResponseText', () => {
  it('lifts the escaped qbXML of a Web Connector envelope: decoded (entities, UTF-8, numeric references), trimmed, the element emptied', () => {
    const env = envelope(QBXML.replace('tab', '&#x41;&#66;'));
    const lifted = liftResponseText(Buffer.from(env, 'utf8'));
    assert.ok(lifted);
    assert.equal(lifted.text, QBXML.replace('tab', '&#x41;&#66;').trim());
    assert.equal(lifted.envelope, env.replace(/<response>[^<]*<\/response>/, '<response></response>'));
  });

  it('decodes numeric character references to the characters (not the reference text)', () => {
    const lifted = liftResponseText(Buffer.from(rawEnvelope('<response>&lt;a&gt;&#x41;&#66;&#233;&#x1F600;&lt;/a&gt;</response>')));
    assert.equal(lifted?.text, '<a>ABé😀</a>');
  });

  it('lifts a prefixed element with namespace declarations, and an empty or blank one as ""', () => {
    assert.equal(liftResponseText(Buffer.from(rawEnvelope(`<q:response xmlns:q="${INTUIT_NS}">&lt;QBXML/&gt;</q:response >`)))?.text, '<QBXML/>');
    assert.equal(liftResponseText(Buffer.from(rawEnvelope('<response>  \n </response>')))?.text, '');
  });

  const notPlain: Array<[string, string]> = [
    ['CDATA content', rawEnvelope('<response><![CDATA[<QBXML/>]]></response>')],
    ['a comment anywhere', rawEnvelope('<response>&lt;QBXML/&gt;</response>', '<!-- note -->')],
    ['an element inside', rawEnvelope('<response><QBXML/></response>')],
    ['two response elements', rawEnvelope('<response>&lt;a/&gt;</response><response>&lt;b/&gt;</response>')],
    ['a self-closing element', rawEnvelope('<response />')],
    ['an attribute other than xmlns', rawEnvelope('<response xsi:type="xsd:string">&lt;QBXML/&gt;</response>')],
    ['an unknown entity', rawEnvelope('<response>&nbsp;</response>')],
    ['a bare ampersand', rawEnvelope('<response>a & b</response>')],
    ['an upper-case entity', rawEnvelope('<response>&LT;</response>')],
    ['a reference to a surrogate', rawEnvelope('<response>&#xD800;</response>')],
    ['a reference to NUL', rawEnvelope('<response>&#0;</response>')],
    ['no response element', requestEnvelope('sendRequestXML', [['ticket', 'T']])],
  ];
  for (const [name, env] of notPlain) {
    it(`leaves ${name} to the soap package`, () => {
      assert.equal(liftResponseText(Buffer.from(env)), undefined);
    });
  }
});

/** A work source with one endless session that records each response. */
class Recorder implements QbwcWorkSource {
  readonly responses: ReceivedResponse[] = [];
  async hasWork() { return true; }
  async beginSession() {}
  async nextRequest() { return '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'; }
  async handleResponse(_ticket: string, response: ReceivedResponse) {
    this.responses.push(response);
    return { percent: 50 };
  }
  async connectionError() {}
  async endSession() { return ''; }
  lastError() { return ''; }
}

describe('receiveResponseXML through the service: lifted or not, the work source gets what the soap package would give', () => {
  let running: Running;
  const work = new Recorder();
  let ticket = '';

  before(async () => {
    running = await startService(work as never);
    const auth = await rawRequest(running.url, {
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${INTUIT_NS}authenticate"` },
      body: requestEnvelope('authenticate', [['strUserName', USER], ['strPassword', PASSWORD]]),
    });
    const answer = parseAnswer(auth.body, 'authenticate', true);
    ticket = answer.kind === 'array' ? (answer.values[0] ?? '') : '';
    assert.ok(ticket);
  });
  after(() => running.close());

  /** Posts the envelope with the SOAPAction (lifted when plain) and without it (the soap package decides alone). */
  async function both(env: string): Promise<[ReceivedResponse | undefined, ReceivedResponse | undefined, number, number]> {
    const body = env.replace('TICKET', ticket).replace('T-1', ticket);
    const before = work.responses.length;
    const a = await rawRequest(running.url, { headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${INTUIT_NS}receiveResponseXML"` }, body });
    const lifted = work.responses[before];
    const b = await rawRequest(running.url, { headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body });
    const plain = work.responses[before + 1];
    return [lifted, plain, a.status, b.status];
  }

  const shapes: Array<[string, string]> = [
    ['the simulator\'s envelope (UTF-8, CRLF, quotes, entities)', envelope(QBXML)],
    ['numeric references', rawEnvelope('<response>  &lt;QBXML&gt;&#x41;&#66;&#233;&#x1F600;&lt;/QBXML&gt;\n</response>')],
    ['a prefixed element', rawEnvelope(`<q:response xmlns:q="${INTUIT_NS}">&lt;QBXML/&gt;</q:response>`)],
    ['an empty element', rawEnvelope('<response></response>')],
    ['CDATA (not lifted)', rawEnvelope('<response><![CDATA[ <QBXML><X>1</X></QBXML> ]]></response>')],
    ['an xsi:type attribute (not lifted)', rawEnvelope('<response xsi:type="xsd:string">&lt;QBXML/&gt;</response>')],
    ['escaped text of an escaped entity', rawEnvelope(`<response>${escapeText('<Name>A &amp;lt; B</Name>')}</response>`)],
  ];
  for (const [name, env] of shapes) {
    it(name, async () => {
      const [lifted, plain, sa, sb] = await both(env);
      assert.equal(sa, 200);
      assert.equal(sb, 200);
      assert.ok(lifted && plain);
      assert.deepEqual(lifted, plain);
    });
  }

  it('the simulator\'s envelope arrives as the qbXML sent, trimmed', async () => {
    const [lifted] = await both(envelope(QBXML));
    assert.equal(lifted?.xml, QBXML.trim());
  });

  it('a DOCTYPE outside the response element is still refused', async () => {
    const body = `<!DOCTYPE x [<!ENTITY e "boom">]>${rawEnvelope('<response>&lt;QBXML/&gt;</response>').replace('<?xml version="1.0" encoding="utf-8"?>', '').replace('TICKET', ticket)}`;
    const before = work.responses.length;
    const res = await rawRequest(running.url, { headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${INTUIT_NS}receiveResponseXML"` }, body });
    assert.equal(res.status, 500);
    assert.match(res.body, /DOCTYPE and ENTITY declarations are not allowed/);
    assert.equal(work.responses.length, before);
  });
});

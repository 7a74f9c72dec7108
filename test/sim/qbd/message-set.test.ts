import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QbdRequestError } from './company';
import type { RequestProcessor as WcRequestProcessor } from '../qbwc/request-processor';
import { ask, ask1, customerAdd, doc, newCompany, readResponse } from './testkit';

const THREE = customerAdd('A', '', '1') + customerAdd('a', '', '2') + customerAdd('B', '', '3');

test('stopOnError: the request after an error gets no response and is not processed', () => {
  const { company } = newCompany();
  const rs = ask(company, THREE, 't1', 'stopOnError');
  assert.deepEqual(rs.map((r) => [r.attrs.requestID, r.code]), [
    ['1', 0],
    ['2', 3100],
  ]);
  assert.equal(company.count('Customer'), 1);
});

test('continueOnError: every request is answered and processed', () => {
  const { company } = newCompany();
  const rs = ask(company, THREE, 't1', 'continueOnError');
  assert.deepEqual(rs.map((r) => [r.attrs.requestID, r.code]), [
    ['1', 0],
    ['2', 3100],
    ['3', 0],
  ]);
  assert.equal(company.count('Customer'), 2);
});

test('stopOnError does not stop on a warning or an empty query result', () => {
  const { company } = newCompany();
  const rs = ask(company, '<CustomerQueryRq requestID="q"><FullName>Nobody</FullName></CustomerQueryRq><CustomerQueryRq requestID="e"/>' + customerAdd('C', '', 'c'));
  assert.deepEqual(rs.map((r) => r.code), [500, 1, 0]);
});

test('children out of schema order make the whole document fail to parse (0x80040400), nothing changes', () => {
  const { company } = newCompany({ seed: { customers: [{ Name: 'Baker' }] } });
  const bad = customerAdd('Ok') + '<InvoiceAddRq><InvoiceAdd><TxnDate>2024-06-20</TxnDate><CustomerRef><FullName>Baker</FullName></CustomerRef></InvoiceAdd></InvoiceAddRq>';
  assert.throws(
    () => company.processRequest(doc(bad), 't1'),
    (e: unknown) => e instanceof QbdRequestError && e.hresult === '0x80040400' && /CustomerRef> is out of schema order/.test(e.message),
  );
  assert.equal(company.count('Customer'), 1);
});

test('unknown elements, missing required elements and mixed date filters are parse errors', () => {
  const { company } = newCompany();
  assert.throws(() => company.processRequest(doc(customerAdd('A', '<Mobil>1</Mobil>'))), /<Mobil> not allowed/);
  assert.throws(() => company.processRequest(doc('<CustomerAddRq><CustomerAdd><IsActive>true</IsActive></CustomerAdd></CustomerAddRq>')), /required element <Name>/);
  assert.throws(
    () =>
      company.processRequest(
        doc('<InvoiceQueryRq><ModifiedDateRangeFilter><FromModifiedDate>2024-01-01</FromModifiedDate></ModifiedDateRangeFilter><TxnDateRangeFilter><FromTxnDate>2024-01-01</FromTxnDate></TxnDateRangeFilter></InvoiceQueryRq>'),
      ),
    /alternatives/,
  );
  assert.throws(() => company.processRequest(doc('<CustomerQueryRq><ListID>8-1</ListID><MaxReturned>5</MaxReturned></CustomerQueryRq>')), /cannot be combined/);
});

test('not well-formed XML, a DOCTYPE, a missing qbxml PI and raw non-Latin-1 text are parse errors', () => {
  const { company } = newCompany();
  assert.throws(() => company.processRequest(doc('<CustomerQueryRq>')), QbdRequestError);
  assert.throws(() => company.processRequest('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'), QbdRequestError);
  assert.throws(() => company.processRequest('<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq/></QBXMLMsgsRq></QBXML>'), /qbxml version/);
  assert.throws(() => company.processRequest(doc(customerAdd('Москва'))), /outside ISO-8859-1/);
});

test('a non-Latin-1 character sent as a character reference is stored as "?"', () => {
  const { company } = newCompany();
  const rs = ask1(company, customerAdd('Caf&#233; &#x41C;'));
  assert.equal(rs.code, 0);
  assert.equal(company.all('Customer')[0]?.Name, 'Café ?');
});

test('injectStatus forces the next request of a type, once, without processing it', () => {
  const { company } = newCompany();
  company.injectStatus('CustomerAdd', 3175);
  const forced = ask1(company, customerAdd('A'));
  assert.equal(forced.code, 3175);
  assert.equal(forced.attrs.statusSeverity, 'Error');
  assert.equal(company.count('Customer'), 0);
  assert.equal(ask1(company, customerAdd('A')).code, 0);
});

test('injectStatus with a warning status keeps Warn severity and a custom message', () => {
  const { company } = newCompany();
  company.injectStatus('CustomerQueryRq', { statusCode: 500, statusMessage: 'custom' });
  const rs = ask1(company, '<CustomerQueryRq/>');
  assert.deepEqual([rs.code, rs.attrs.statusSeverity, rs.attrs.statusMessage], [500, 'Warn', 'custom']);
});

test('injectFailure makes the next processRequest throw with the hresult', () => {
  const { company } = newCompany();
  company.injectFailure('0x80040408', 'Could not start QuickBooks.');
  assert.throws(() => company.processRequest(doc('<CustomerQueryRq/>')), (e: unknown) => e instanceof QbdRequestError && e.hresult === '0x80040408');
  assert.equal(ask1(company, '<CustomerQueryRq/>').code, 1);
});

test('answers the Web Connector HostQuery/CompanyQuery/PreferencesQuery set', () => {
  const { company } = newCompany({ companyName: 'Acme Tools & Supply' });
  const xml = company.processRequest(
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError"><HostQueryRq requestID="0" /><CompanyQueryRq requestID="1" /><PreferencesQueryRq requestID="2" /></QBXMLMsgsRq></QBXML>',
  );
  const rs = readResponse(xml);
  assert.deepEqual(rs.map((r) => [r.name, r.code]), [
    ['HostQueryRs', 0],
    ['CompanyQueryRs', 0],
    ['PreferencesQueryRs', 0],
  ]);
  assert.match(xml, /<SupportedQBXMLVersion>13\.0<\/SupportedQBXMLVersion>/);
  assert.match(xml, /<CompanyName>Acme Tools &amp; Supply<\/CompanyName>/);
});

test('the response document has the shape of the wire examples', () => {
  const { company } = newCompany();
  const xml = company.processRequest(doc('<CustomerQueryRq requestID="q-cust-1"/>'));
  assert.equal(
    xml,
    '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n<CustomerQueryRs requestID="q-cust-1" statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a matching object in QuickBooks" />\n</QBXMLMsgsRs>\n</QBXML>\n',
  );
});

test('QbdCompany fits the Web Connector simulator’s RequestProcessor', () => {
  const processor: WcRequestProcessor = newCompany().company;
  assert.match(processor.processRequest(doc('<CustomerQueryRq/>'), 't'), /<CustomerQueryRs statusCode="1"/);
});

/** The .qwc file generator. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as sax from 'sax';
import { buildQwc, joinPublicUrl, stableGuid, qwcUrlWarnings, type QwcOptions } from '../../../nodes/lib/company/qbwc/qwc';

const base: QwcOptions = {
  appName: 'BluBilling QuickBooks Sync',
  appUrl: 'https://qb.example.com/blubilling/qbwc',
  userName: 'nodered-qb',
  nodeId: '7f3a9c21.5e1b04',
  runEveryMinutes: 15,
};

/** Element texts of a well-formed .qwc (throws if it is not well-formed). */
function elements(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parser = sax.parser(true);
  let current = '';
  parser.onopentag = (t) => {
    current = t.name;
    out[current] = '';
  };
  parser.ontext = (text) => {
    if (current) out[current] += text;
  };
  parser.onclosetag = () => {
    current = '';
  };
  parser.onerror = (e) => {
    throw e;
  };
  parser.write(xml).close();
  return out;
}

const GUID = /^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/;

describe('qwc: the .qwc file', () => {
  it('holds every element the Web Connector needs, with QBWCXML as root', () => {
    const { xml } = buildQwc(base);
    const e = elements(xml);
    assert.match(xml, /^<\?xml version="1.0"\?>\n<QBWCXML>/);
    for (const name of ['AppName', 'AppID', 'AppURL', 'AppDescription', 'AppSupport', 'UserName', 'OwnerID', 'FileID', 'QBType', 'IsReadOnly']) {
      assert.ok(name in e, `${name} missing`);
    }
  });

  it('writes the given values', () => {
    const e = elements(buildQwc(base).xml);
    assert.equal(e.AppName, 'BluBilling QuickBooks Sync');
    assert.equal(e.AppURL, 'https://qb.example.com/blubilling/qbwc');
    assert.equal(e.UserName, 'nodered-qb');
    assert.equal(e.QBType, 'QBFS');
    assert.equal(e.IsReadOnly, 'false');
    assert.equal(e.AppID, '');
  });

  it('puts the AutoRun interval in Scheduler/RunEveryNMinutes', () => {
    assert.match(buildQwc(base).xml, /<Scheduler>\s*<RunEveryNMinutes>15<\/RunEveryNMinutes>\s*<\/Scheduler>/);
  });

  it('leaves the Scheduler out when no interval is given', () => {
    assert.doesNotMatch(buildQwc({ ...base, runEveryMinutes: undefined }).xml, /Scheduler/);
  });

  it('refuses an interval that is not a positive integer', () => {
    assert.throws(() => buildQwc({ ...base, runEveryMinutes: 0 }), /runEveryMinutes/);
    assert.throws(() => buildQwc({ ...base, runEveryMinutes: 1.5 }), /runEveryMinutes/);
  });

  it('uses the AppURL host for AppSupport by default', () => {
    assert.equal(elements(buildQwc(base).xml).AppSupport, base.appUrl);
  });

  it('escapes XML special characters in values', () => {
    const { xml } = buildQwc({ ...base, appName: 'Acme <Tools> & "Supply"', appDescription: "Bob's sync" });
    assert.ok(xml.includes('<AppName>Acme &lt;Tools&gt; &amp; &quot;Supply&quot;</AppName>'));
    assert.equal(elements(xml).AppName, 'Acme <Tools> & "Supply"');
  });

  it('never contains a password', () => {
    assert.doesNotMatch(buildQwc(base).xml, /Password/i);
  });

  it('writes OwnerID and FileID as braced upper-case GUIDs', () => {
    const r = buildQwc(base);
    assert.match(r.ownerId, GUID);
    assert.match(r.fileId, GUID);
    const e = elements(r.xml);
    assert.equal(e.OwnerID, r.ownerId);
    assert.equal(e.FileID, r.fileId);
  });
});

describe('qwc: stable GUIDs', () => {
  it('gives the same GUIDs for the same node every time', () => {
    assert.equal(buildQwc(base).ownerId, buildQwc(base).ownerId);
    assert.equal(buildQwc(base).fileId, buildQwc(base).fileId);
  });

  it('gives different GUIDs to different nodes', () => {
    assert.notEqual(buildQwc(base).fileId, buildQwc({ ...base, nodeId: 'other.node' }).fileId);
  });

  it('gives OwnerID and FileID different values', () => {
    const r = buildQwc(base);
    assert.notEqual(r.ownerId, r.fileId);
  });

  it('rotates both GUIDs with guidGeneration (QBWC1039 recovery)', () => {
    const a = buildQwc(base);
    const b = buildQwc({ ...base, guidGeneration: 1 });
    assert.notEqual(a.ownerId, b.ownerId);
    assert.notEqual(a.fileId, b.fileId);
  });

  it('sets the name-based UUID version and variant bits', () => {
    const g = stableGuid('n', 'owner');
    assert.equal(g[15], '5');
    assert.match(g[20], /[89AB]/);
  });
});

describe('qwc: warnings the real Web Connector would give', () => {
  it('none for https on a host name', () => {
    assert.deepEqual(buildQwc(base).warnings, []);
  });

  it('none for http on localhost (development)', () => {
    assert.deepEqual(buildQwc({ ...base, appUrl: 'http://localhost:1880/qbwc' }).warnings, []);
  });

  it('QBWC1010 for http on another host', () => {
    const codes = buildQwc({ ...base, appUrl: 'http://qb.example.com/qbwc' }).warnings.map((w) => w.code);
    assert.deepEqual(codes, ['QBWC1010']);
  });

  it('QBWC1000 when AppSupport is on another host', () => {
    const codes = buildQwc({ ...base, appSupport: 'https://help.example.org/qb' }).warnings.map((w) => w.code);
    assert.deepEqual(codes, ['QBWC1000']);
  });

  it('QBWC1001 for an IP address host', () => {
    const codes = qwcUrlWarnings('https://10.0.0.5/qbwc', 'https://10.0.0.5/qbwc').map((w) => w.code);
    assert.ok(codes.includes('QBWC1001'));
    assert.ok(codes.includes('QBWC1002'));
  });

  it('throws on a URL that is not absolute', () => {
    assert.throws(() => buildQwc({ ...base, appUrl: '/qbwc' }), /AppURL is not a valid absolute URL/);
  });
});

describe('qwc: joinPublicUrl', () => {
  it('joins a base URL and a path with exactly one slash', () => {
    assert.equal(joinPublicUrl('https://qb.example.com/', '/blubilling/qbwc'), 'https://qb.example.com/blubilling/qbwc');
    assert.equal(joinPublicUrl('https://qb.example.com', 'blubilling/qbwc'), 'https://qb.example.com/blubilling/qbwc');
  });
});

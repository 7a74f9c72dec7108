/**
 * The console shows each issue's title and resolution from its en-US catalog (keys by issue code): every
 * issue of the taxonomy has both, in the words the help pages and the REST endpoints use.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ISSUES } from '../../../nodes/lib/matching/issues';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const catalog = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'qbsync-console', 'locales', 'en-US', 'qbsync-console.json'), 'utf8')).console;

describe('the console catalog of match issues', () => {
  it('has the title and the resolution of every issue, as the taxonomy words them', () => {
    for (const [code, issue] of Object.entries(ISSUES)) {
      assert.equal(catalog.issues[code], issue.title, `issues.${code}`);
      assert.equal(catalog.resolutions[code], issue.resolution, `resolutions.${code}`);
    }
    assert.deepEqual(Object.keys(catalog.resolutions).sort(), Object.keys(ISSUES).sort());
  });
});

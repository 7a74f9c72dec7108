// Node-RED settings for `npm start` and `npm run demo`: this package loaded from the checkout, the
// shipped flows, telemetry off. Every value comes from the environment (see README).
'use strict';
const path = require('node:path');
// Authentication and TLS from the environment (README: "Running it where others can reach it"); throws,
// naming what to set, when HOST reaches beyond this machine without authentication.
const { exposureSettings } = require('../dist/nodes/lib/node-red/exposure');
const bcrypt = require('bcryptjs'); // Node-RED's own (adminAuth checks bcrypt hashes)

const exposure = exposureSettings(process.env, (password) => bcrypt.hashSync(password, 10));

module.exports = {
  uiPort: Number(process.env.PORT || 1880),
  uiHost: process.env.HOST || '127.0.0.1',
  flowFile: 'flows.json',
  flowFilePretty: true,
  // Encrypts flows_cred.json. Unset: Node-RED generates one and keeps it in .config.runtime.json.
  credentialSecret: process.env.QB_CREDENTIAL_SECRET || undefined,
  // The editor and admin API: an admin, and optionally a read-only viewer (unset: open, loopback only).
  adminAuth: exposure.adminAuth,
  https: exposure.https,
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  editorTheme: {
    tours: false,
    projects: { enabled: false },
    palette: { categories: ['QuickBooks', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
  },
  logging: { console: { level: process.env.QB_LOG_LEVEL || 'info', metrics: false, audit: false } },
  exportGlobalContextKeys: false,
  functionExternalModules: false,
  quickbooks: {
    storeDir: process.env.QB_STORE_DIR ? path.resolve(process.env.QB_STORE_DIR) : undefined,
    // The flows' REST endpoints: token or basic auth, CORS origins, body limit (the SOAP paths stay open).
    http: exposure.http,
  },
};

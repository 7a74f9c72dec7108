/** QuickBooks Online client library (no Node-RED). */
export * from './client';
export * from './clock';
export * from './connection';
export * from './environment';
export * from './errors';
export * from './oauth';
export * from './requestid';
export * from './sync';
export * from './throttle';
export * from './tokens';

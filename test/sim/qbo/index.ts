/** Public entry of the QuickBooks Online simulator (see README.md). */
export { startQboSimulator } from './server';
export type { QboSimulator, SimulatorOptions, SimStats } from './server';
export type { EntityName, Rec } from './entities';
export type { TokenResponse } from './oauth';
export type { FaultTarget } from './faults';

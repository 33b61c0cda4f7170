/** Public surface of the local athenaNet sandbox. */
export { startAthenaSandbox } from './server'
export type { AthenaSandbox, SandboxStats } from './server'
export type { AthenaSandboxOptions, QuotaHeaderNames, SandboxClient } from './config'
export { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PRACTICE_ID, DEFAULT_QUOTA_HEADERS, PREVIEW_DEFAULTS } from './config'
export type { Faults, FaultState } from './faults'
export type { SimulatedChanges } from './simulate'
export { MDP_SCOPE } from './auth'

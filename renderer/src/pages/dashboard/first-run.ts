/**
 * What the first-run guide ticks off, decided from state the console already queries (lanes,
 * sync status, connections) and the person's own flags; no state of its own.
 */
import type { Connection } from '../../../../shared/api/connections'
import type { Lane } from '../../../../shared/api/dashboard'
import type { Practice } from '../../../../shared/api/practices'
import type { SyncState } from '../../../../shared/api/athena'

/** Kinds that always reach a peer outside this computer (a listener or a local folder does not). */
const OUTWARD = new Set<Connection['kind']>(['hl7-outbound', 'sftp', 'ftps'])

/**
 * A connection to something other than the built-in sandbox: any connection of a practice of one's
 * own, or, in the sandbox practice, one aimed away from the local sandbox.
 */
export function isRealConnection(c: Connection, practice: Practice | undefined): boolean {
  if (practice && !practice.builtin) return true
  if (c.kind === 'athena-rest') return c.config.environment !== undefined && c.config.environment !== 'sandbox'
  if (c.kind === 'fhir-r4') return c.config.preset !== undefined && c.config.preset !== 'sandbox'
  return OUTWARD.has(c.kind)
}

export interface GuideFacts {
  lanes: Lane[]
  streams: SyncState[]
  connections: { practice: Practice | undefined; items: Connection[] }[]
  errorQueueOpened: boolean
}

export interface GuideProgress {
  hl7: boolean
  sync: boolean
  errorQueue: boolean
  realConnection: boolean
}

export function guideProgress(f: GuideFacts): GuideProgress {
  return {
    hl7: f.lanes.some((l) => l.connector === 'hl7' && l.direction === 'in'),
    // Incremental runs also start on their own (the FHIR reconciliation at start-up, schedules), so
    // only a full or replay run, which a person asks for, counts as "ran a sync".
    sync: f.streams.some((s) => s.status === 'done' && s.mode !== null && s.mode !== 'incremental'),
    errorQueue: f.errorQueueOpened,
    realConnection: f.connections.some(({ practice, items }) => items.some((c) => isRealConnection(c, practice))),
  }
}

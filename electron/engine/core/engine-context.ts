/**
 * What the API handlers and connector modules work with: the engine's context and the engine
 * itself, as types only. Kept apart from the assembly (engine.ts) so that a handler importing the
 * context does not import the whole engine, and the engine imports the handlers without a circle.
 */
import type { ListenerStatus } from '../../../shared/api/system'
import type { ConnectivityResult } from '../../../shared/api/connections'
import type { Dispatch } from '../api/dispatcher'
import type { AccessService } from '../access/access-service'
import type { AuditLog } from '../audit/audit-log'
import type { AuditIntegrity } from '../audit/audit-integrity'
import type { SecurityAlerts } from '../audit/security-alerts'
import type { SystemSettingsRepo } from '../config/system-settings'
import type { MappingStore } from '../mapping-store/mapping-store'
import type { InboxMoveWorker } from '../pipeline/inbox-move-worker'
import type { InboxWriter } from '../pipeline/inbox-writer'
import type { Pipeline } from '../pipeline/pipeline'
import type { TransactionsRepo } from '../pipeline/transactions-repo'
import type { ConnectionsRepo, StoredConnection } from '../practices/connections-repo'
import type { PracticesRepo } from '../practices/practices-repo'
import type { RecordStore } from '../records/record-store'
import type { PatientLinks } from '../records/patient-links'
import type { SecretStore } from '../secrets/secret-store'
import type { Db } from '../store/database'
import type { WriteBatcher } from '../store/write-batcher'
import type { Clock } from './clock'
import type { EngineSettings } from './engine-settings'
import type { EventBus } from './event-bus'
import type { Logger } from './logger'
import type { Service } from './service'
import type { StorageHealth } from './storage-health'

export type ConnectivityTester = (conn: StoredConnection) => Promise<ConnectivityResult>

/** Everything the API handlers and connector modules work with. */
export interface EngineContext {
  readonly dataDir: string
  readonly dbFile: string
  readonly version: string
  readonly mode: 'desktop' | 'headless'
  readonly operator: string
  readonly startedAt: number
  readonly db: Db
  readonly batcher: WriteBatcher
  /** Whether the data folder's disk can take what must be stored (full, low, ok). */
  readonly storage: StorageHealth
  /** The acknowledgment path's store on its own thread; null when it could not start (or storeThreads is false). */
  readonly inboxWriter: InboxWriter | null
  /** The move from the inbox into transactions on its own thread; null as above (the main thread moves then). */
  readonly inboxMover: InboxMoveWorker | null
  readonly clock: Clock
  readonly logger: Logger
  readonly events: EventBus
  readonly secrets: SecretStore
  readonly audit: AuditLog
  readonly practices: PracticesRepo
  readonly connections: ConnectionsRepo
  readonly records: RecordStore
  /** Patient pairs named by merge messages (merged or linked, undoable); the duplicate-patient worklist reads them. */
  readonly patientLinks: PatientLinks
  readonly txRepo: TransactionsRepo
  readonly pipeline: Pipeline
  readonly services: Map<string, Service>
  readonly connectivity: Map<string, ConnectivityTester>
  readonly mappings: MappingStore
  /** People, roles, grants, sessions and break-glass (electron/engine/access). */
  readonly access: AccessService
  /** The inbox file beside the database (store/inbox-db.ts). */
  readonly inboxFile: string
  /** Alerts that stay until a person acknowledges them (a failed audit verification). */
  readonly securityAlerts: SecurityAlerts
  /** The audit trail's checks and checkpoints (kept in the secret store too). */
  readonly integrity: AuditIntegrity
  /** Settings of the installation (audit export, backups, pruner window). */
  readonly systemSettings: SystemSettingsRepo
  /** Tells every service that configuration changed (listeners start/stop accordingly). */
  reloadServices(): Promise<void>
  listeners(): ListenerStatus[]
  readonly settings: EngineSettings
}

export interface Engine {
  readonly ctx: EngineContext
  readonly dispatch: Dispatch
  addService(s: Service): void
  start(): Promise<void>
  stop(): Promise<void>
}

/** Connector modules install themselves here (handlers, services, connectivity tests). */
export type ConnectorModule = (engine: Engine) => void

/**
 * Assembles the engine from its collaborators (data folder, secret store, clock, logger) and
 * nothing else: no Electron, no globals. The desktop shell and the headless server both call
 * `openEngine`, then expose `engine.dispatch` through their transport.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { AuditLog } from '../audit/audit-log'
import { AnchorExporter } from '../audit/anchor-export'
import { AuditIntegrity } from '../audit/audit-integrity'
import { SecurityAlerts } from '../audit/security-alerts'
import { SystemSettingsRepo } from '../config/system-settings'
import { ConnectionsRepo } from '../practices/connections-repo'
import { PracticesRepo, SANDBOX_ATHENA_PRACTICE, SANDBOX_PRACTICE_ID } from '../practices/practices-repo'
import { Pipeline } from '../pipeline/pipeline'
import { TransactionsRepo } from '../pipeline/transactions-repo'
import { RecordStore } from '../records/record-store'
import { PatientLinks } from '../records/patient-links'
import type { SecretStore } from '../secrets/secret-store'
import { openDatabase } from '../store/database'
import { migrate } from '../store/migrations'
import { newDurability, WriteBatcher } from '../store/write-batcher'
import { Checkpointer } from '../store/checkpointer'
import { rememberingReads } from '../store/read-scope'
import { BigPayloads } from '../pipeline/big-payloads'
import { StorageHealth } from './storage-health'
import { InboxRepo } from '../pipeline/inbox-repo'
import { InboxWriter } from '../pipeline/inbox-writer'
import { InboxMoveWorker } from '../pipeline/inbox-move-worker'
import { INBOX_FILE, openInboxDb, reconcileInboxCursor } from '../store/inbox-db'
import type { Clock } from './clock'
import { systemClock } from './clock'
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from './engine-settings'
import { DB_FILE, ensureDataDir, loadDatabaseKey, readInstall } from './data-dir'
import { EventBus } from './event-bus'
import type { Logger } from './logger'
import type { Service } from './service'
import { createDispatcher, type Dispatch } from '../api/dispatcher'
import type { ConnectorModule, Engine, EngineContext } from './engine-context'
import { buildHandlers } from '../api/handlers'
import { MappingStore } from '../mapping-store/mapping-store'
import { loadDefaultMappingSets } from '../mapping'
import { loadFhirCsvMappingSets } from '../mapping/default-sets-fhir-csv'
import { AccessService } from '../access/access-service'
import { AccessStore } from '../access/access-store'
import { CallScope } from '../access/call-scope'
import { createGuard } from '../access/guard'
import { methodRules, sqlLookups } from '../access/method-access'
import { SecretBox } from '../access/secret-box'
import { accessSettingsSchema, type AccessSettings } from '../access/settings'

// The types live in engine-context.ts (type-only imports, no circle); re-exported for existing importers.
export type { ConnectivityTester, ConnectorModule, Engine, EngineContext } from './engine-context'

export interface EngineOptions {
  dataDir: string
  secrets: SecretStore
  logger: Logger
  clock?: Clock
  mode: 'desktop' | 'headless'
  version: string
  /** Who operates this console (OS user@host); the transport adds how they connect. */
  operator: string
  /**
   * The ingest writer, the inbox mover and the WAL checkpointer on their own threads (default).
   * false keeps every write, move and checkpoint on the main connection: the benchmark's baseline,
   * and a fallback switch.
   */
  storeThreads?: boolean
  /**
   * Lanes process a grouped handler's rows several per COMMIT (default). false: one row per
   * COMMIT, the benchmark's baseline for processing.
   */
  groupedProcessing?: boolean
  /**
   * Benchmark only (hl7-ingest's limit line): no WAL checkpoints, and the inbox mover at a
   * thousandth of its thread's time, so the acknowledgment path has the disk nearly to itself. The
   * WALs and the inbox grow for as long as the engine runs: never set in the product.
   */
  holdBackgroundWrites?: boolean
  /** Engine-wide limits (engine-settings.ts); defaults where absent. */
  settings?: Partial<EngineSettings>
  /** Session limits, lockout, second factor, single sign-on (access/settings.ts; defaults when absent). */
  access?: Partial<AccessSettings>
}

/** Each chunk the mover takes is followed by a pause ~1,000× its length (holdBackgroundWrites). */
const HELD_MOVE = { duty: 0.001, idleDuty: 0.001 }

export async function openEngine(opts: EngineOptions, modules: ConnectorModule[] = []): Promise<Engine> {
  const clock = opts.clock ?? systemClock
  const logger = opts.logger
  const settings: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, ...opts.settings }
  ensureDataDir(opts.dataDir)
  const dbFile = join(opts.dataDir, DB_FILE)
  const key = await loadDatabaseKey(opts.secrets, dbFile)
  const db = openDatabase({ file: dbFile, keyHex: key })
  try {
    const report = migrate(db, undefined, clock.now)
    if (report.applied.length) logger.info('database migrated', { applied: report.applied, schema: report.current })
  } catch (e) {
    db.close()
    throw e
  }
  const now = (): number => clock.now()
  const inboxFile = join(opts.dataDir, INBOX_FILE)
  const inboxDb = openInboxDb(inboxFile, key)
  const recon = reconcileInboxCursor(db, inboxDb, clock.now())
  if (recon.reset) logger.warn('the inbox file is newer than its move cursor (replaced or deleted); starting the cursor again')
  const workers = opts.storeThreads !== false
  for (const d of [db, inboxDb]) d.pragma(`journal_size_limit = ${settings.walLimitBytes}`)
  const storeLog = logger.child({ component: 'store' })
  const hold = opts.holdBackgroundWrites === true
  const checkpointer = workers && !hold ? await Checkpointer.start({ dbs: [db, inboxDb], files: [dbFile, inboxFile], keyHex: key, logger: storeLog, walLimitBytes: settings.walLimitBytes }) : null
  const durability = newDurability()
  const inboxWriter = workers ? await InboxWriter.start({ mainFile: dbFile, inboxFile, keyHex: key, logger: storeLog, durability, walLimitBytes: settings.walLimitBytes }) : null
  const inboxMover = workers ? await InboxMoveWorker.start({ mainFile: dbFile, inboxFile, keyHex: key, logger: storeLog, walLimitBytes: settings.walLimitBytes, ...(hold ? { move: HELD_MOVE } : {}) }) : null
  const bigPayloads = workers ? await BigPayloads.start({ mainFile: dbFile, keyHex: key, logger: storeLog, walLimitBytes: settings.walLimitBytes }) : null
  const events = new EventBus()
  const callScope = new CallScope()
  const audit = new AuditLog(db, clock, await loadAuditKey(opts.secrets), () => callScope.current())
  audit.onAppend((e) => events.emit('audit.appended', { seq: e.seq, action: e.action, practiceId: e.practiceId }))
  // With the store's threads, the main connection's fsyncs leave the event loop too (write-batcher.ts).
  const batcher = new WriteBatcher(db, {
    asyncFsync: workers,
    durability,
    onSyncError: (e) => storeLog.error('an fdatasync of the database failed: the writes waiting for it were refused; restart the engine to read what is really on disk', { code: (e as { code?: string }).code }),
  })
  const practices = new PracticesRepo(db, audit, now)
  const connections = new ConnectionsRepo(db, audit, opts.secrets, now)
  const records = new RecordStore(db, now)
  const txRepo = new TransactionsRepo(db)
  const inbox = { repo: new InboxRepo(db, inboxDb), writer: inboxWriter, mover: inboxMover, transact: <T>(fn: () => T): T => db.transaction(fn).immediate() }
  const storage = new StorageHealth({ dataDir: opts.dataDir, clock, logger: storeLog })
  storage.listen((state) => events.emit('storage.changed', { state }))
  const pipeline = new Pipeline({ repo: txRepo, inbox, batcher, records, audit, events, clock, logger: logger.child({ component: 'pipeline' }), storage, grouping: opts.groupedProcessing, payloads: bigPayloads, remembering: (fn) => rememberingReads(db, fn) })
  const services = new Map<string, Service>()
  const securityAlerts = new SecurityAlerts(db, audit, clock)
  const systemSettings = new SystemSettingsRepo(db, audit)
  const integrity = new AuditIntegrity({
    audit,
    alerts: securityAlerts,
    secrets: opts.secrets,
    clock,
    logger: logger.child({ component: 'audit' }),
    exporter: new AnchorExporter(() => systemSettings.get().auditExport),
    install: readInstall(opts.dataDir)?.installId ?? opts.operator,
    fullCheckIntervalMs: settings.auditFullCheckMinutes * 60_000,
  })
  // First to start (the trail is checked before anything else runs) and last to stop.
  services.set(integrity.name, integrity)
  const mappings = new MappingStore(db, audit, clock)
  mappings.registerDefaults(loadDefaultMappingSets())
  mappings.registerDefaults(loadFhirCsvMappingSets())
  const accessSettings = accessSettingsSchema.parse(opts.access ?? {})
  const accessLog = logger.child({ component: 'access' })
  const defer = (write: () => void): void => void batcher.run(write, { until: 'commit' }).catch((e: unknown) => accessLog.warn('a deferred session write failed', { code: (e as { code?: string }).code }))
  const access = new AccessService({ db, store: new AccessStore(db), audit, clock, logger: accessLog, box: new SecretBox(await loadKey(opts.secrets, 'access-key')), settings: accessSettings, defer })

  const ctx: EngineContext = {
    dataDir: opts.dataDir,
    dbFile,
    version: opts.version,
    mode: opts.mode,
    operator: opts.operator,
    startedAt: clock.now(),
    db,
    batcher,
    storage,
    inboxWriter,
    inboxMover,
    clock,
    logger,
    events,
    secrets: opts.secrets,
    audit,
    practices,
    connections,
    records,
    patientLinks: new PatientLinks(db, now),
    txRepo,
    pipeline,
    services,
    connectivity: new Map(),
    mappings,
    access,
    inboxFile,
    securityAlerts,
    integrity,
    systemSettings,
    async reloadServices() {
      for (const s of services.values()) {
        try {
          await s.reload?.()
        } catch (e) {
          logger.error('service reload failed', { service: s.name, error: (e as Error).message })
        }
      }
      events.emit('listeners.changed', {})
    },
    listeners() {
      return [...services.values()].flatMap((s) => s.listeners?.() ?? [])
    },
    settings,
  }

  ensureSandboxPractice(ctx)

  let started = false
  let stopped = false
  let breakGlassTimer: NodeJS.Timeout | null = null
  const engine: Engine = {
    ctx,
    dispatch: null as unknown as Dispatch,
    addService(s) {
      if (services.has(s.name)) throw new AppError('internal', `service ${s.name} registered twice`)
      services.set(s.name, s)
    },
    async start() {
      if (started) return
      started = true
      pipeline.start()
      // Break-glass that ran out is ended (and audited) even when nobody calls.
      breakGlassTimer = setInterval(() => access.sweepBreakGlass(), 30_000)
      breakGlassTimer.unref()
      for (const s of services.values()) {
        try {
          await s.start()
        } catch (e) {
          logger.error('service failed to start', { service: s.name, error: (e as Error).message })
        }
      }
      events.emit('listeners.changed', {})
    },
    async stop() {
      if (stopped) return
      stopped = true
      for (const s of [...services.values()].reverse()) {
        try {
          await s.stop()
        } catch (e) {
          logger.error('service failed to stop cleanly', { service: s.name, error: (e as Error).message })
        }
      }
      // Commits what listeners handed over, then lets the last lanes finish; unmoved inbox rows wait for the next start.
      await inboxWriter?.close()
      await inboxMover?.close()
      await pipeline.stop()
      await bigPayloads?.close()
      if (breakGlassTimer) clearInterval(breakGlassTimer)
      batcher.close()
      storage.stop()
      await checkpointer?.close()
      inboxDb.close()
      db.close()
      logger.info('engine stopped')
    },
  }
  for (const m of modules) m(engine)
  const guard = createGuard({ access, rules: methodRules(sqlLookups(db)), audit, clock, scope: callScope })
  ;(engine as { dispatch: Dispatch }).dispatch = createDispatcher(buildHandlers(ctx), logger.child({ component: 'api' }), guard)
  return engine
}

/** A random 256-bit key kept in the secret store, created on first use. */
async function loadKey(secrets: SecretStore, name: 'access-key'): Promise<Buffer> {
  let key = await secrets.get(name)
  if (!key) {
    key = randomBytes(32).toString('hex')
    await secrets.set(name, key)
  }
  return Buffer.from(key, 'hex')
}

async function loadAuditKey(secrets: SecretStore): Promise<Buffer> {
  let key = await secrets.get('audit-key')
  if (!key) {
    key = randomBytes(32).toString('hex')
    await secrets.set('audit-key', key)
  }
  return Buffer.from(key, 'hex')
}

/** The built-in sandbox practice (athenaNet practice 195900 against the local sandbox), so a first run has something to explore. */
function ensureSandboxPractice(ctx: EngineContext): void {
  if (ctx.practices.find(SANDBOX_PRACTICE_ID)) return
  ctx.practices.create(
    {
      id: SANDBOX_PRACTICE_ID,
      name: 'Sandbox Practice',
      athenaPracticeId: SANDBOX_ATHENA_PRACTICE,
      environment: 'sandbox',
      timeZone: 'America/New_York',
      settings: { unknownPatientRule: 'create', phoneCountry: 'US' },
    },
    'system',
    { builtin: true },
  )
}

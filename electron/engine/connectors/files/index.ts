/**
 * File exchange as a connector module: file locations (SFTP, FTPS, folders; connections),
 * connectivity tests, file jobs with their scheduler and runner, the inbound/outbound pipeline
 * handlers, the file kinds (demographics here; other kinds register the same way) and the
 * shipped mapping set. See README.md in this folder.
 */
import { AppError } from '../../../../shared/errors'
import { mappingSetSchema } from '../../../../shared/mapping'
import type { ConnectorModule } from '../../core/engine-context'
import { maintenanceModule } from '../../maintenance/maintenance-module'
import { patientMatching } from '../../matching'
import { locationTester } from './connectivity'
import { FileJobRepo } from './jobs/job-repo'
import { FileJobRunner } from './jobs/job-runner'
import { PickupRepo } from './jobs/pickup-repo'
import { FileScheduler } from './jobs/scheduler'
import { createDemographicsKind } from './kinds/demographics/demographics-kind'
import { FileKinds, type FileKind } from './kinds/file-kind'
import demographicsIn from './mappings/files-demographics-in.json'
import { createFileInboundHandler, createFileOutboundHandler } from './pipeline/file-handler'
import { setFilesRuntime, type FilesRuntime } from './runtime'
import { openTransport } from './transports/open-transport'

export { filesRuntime } from './runtime'
export type { FileKind, InboundFileKind, OutboundFileKind, ProducedFile, CheckResult } from './kinds/file-kind'
export type { FileTransport, RemoteEntry } from './transports/transport'

export interface FilesModuleOptions {
  /** Kinds to register besides the built-in ones (e.g. from another module or a test). */
  kinds?: FileKind[]
  /** The stable-file check's wait between listings (tests shorten it with the job config instead). */
  sleep?: (ms: number) => Promise<void>
}

export function loadFilesMappingSets() {
  const parsed = mappingSetSchema.safeParse(demographicsIn)
  if (!parsed.success) throw new AppError('config_invalid', 'the shipped file mapping set is invalid', { details: { issues: parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })) } })
  return [parsed.data]
}

export function filesModule(opts: FilesModuleOptions = {}): ConnectorModule {
  return (engine) => {
    const ctx = engine.ctx
    ctx.mappings.registerDefaults(loadFilesMappingSets())
    const jobs = new FileJobRepo(ctx.db, ctx.audit, () => ctx.clock.now())
    const pickups = new PickupRepo(ctx.db, () => ctx.clock.now())
    const kinds = new FileKinds()
    kinds.register(createDemographicsKind({ matcher: () => patientMatching(ctx).matcher }))
    for (const k of opts.kinds ?? []) kinds.register(k)
    const open = (connectionId: string, o?: Parameters<typeof openTransport>[2]) => openTransport(ctx.connections.get(connectionId), (id, f) => ctx.connections.getSecret(id, f), o)
    const runner = new FileJobRunner({ ctx, jobs, pickups, kinds, open, sleep: opts.sleep })
    const rt: FilesRuntime = { jobs, pickups, kinds, runner, open }
    setFilesRuntime(ctx, rt)
    ctx.pipeline.register(createFileInboundHandler(ctx, rt))
    ctx.pipeline.register(createFileOutboundHandler(ctx, rt))
    engine.addService(new FileScheduler(ctx, jobs, runner, kinds))
    const tester = locationTester(ctx)
    for (const kind of ['sftp', 'ftps', 'folder']) ctx.connectivity.set(kind, tester)
    // Retention of the `files` connector: its transactions (raw file bytes, then rows and pickups) by the
    // generic rules; its run history and refused-file entries by `logsDays`.
    maintenanceModule(ctx).pruner.registerLogPruner({ connector: 'files', prune: (practiceId, before, limit) => jobs.pruneRuns(practiceId, before, limit) + pickups.pruneUnstored(practiceId, before, limit) })
  }
}

export const files: ConnectorModule = filesModule()

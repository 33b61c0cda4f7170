/**
 * The athenaNet REST connector module: the client runtime, the pipeline handlers (inbound records,
 * outbound writes), the shipped chart/document mapping sets, the in-process sandbox and the sync
 * service, the connectivity tester for `athena-rest` connections and the mapping studio's live
 * sample sources. `createAthenaModule` takes test collaborators (fetch, random, sandbox options).
 */
import type { ConnectorModule } from '../../core/engine-context'
import type { AthenaSandboxOptions } from '../../../sandbox/athena'
import { athenaConnectivityTester } from './connectivity'
import { clinicalMappingSets } from './mapping-sets'
import { inboundHandler } from './pipeline/inbound-handler'
import { outboundHandler } from './pipeline/outbound-handler'
import { AthenaPushService } from './push-service'
import { AthenaRuntime, type RuntimeOptions } from './runtime'
import { registerAthenaAlertKinds } from './alert-kinds'
import { alertKinds } from '../../console/alert-kinds'
import { registerSampleSources } from './sample-source'
import { AthenaSandboxService } from './sandbox-service'
import { setAthenaState } from './state'
import { AthenaSyncService } from './sync-service'
import { SyncManager } from './workflows/sync'
import { maintenanceModule } from '../../maintenance/maintenance-module'

export interface AthenaModuleOptions extends RuntimeOptions {
  /** Options of the in-process sandbox (tests shrink or grow it). */
  sandbox?: AthenaSandboxOptions
  /** How often Practice Studio appointment changes are looked for (default 1 s). */
  pushPollMs?: number
}

export function createAthenaModule(opts: AthenaModuleOptions = {}): ConnectorModule {
  return (engine) => {
    const { ctx } = engine
    const runtime = new AthenaRuntime(ctx, opts)
    const sync = new SyncManager(ctx, runtime)
    const sandbox = new AthenaSandboxService(ctx, runtime, opts.sandbox)
    ctx.mappings.registerDefaults(clinicalMappingSets())
    // Department zones come from athena's departments (the cached reference data), for every
    // mapping that names a department: the studio's previews and tests, HL7 and file feeds.
    ctx.mappings.setDepartmentTimeZoneLookup((practiceId, departmentId) => runtime.reference.departmentTimeZone(practiceId, departmentId))
    ctx.pipeline.register(inboundHandler(ctx, runtime))
    ctx.pipeline.register(outboundHandler(ctx, runtime))
    engine.addService(sandbox)
    engine.addService(new AthenaSyncService(ctx, runtime, sync))
    engine.addService(new AthenaPushService(ctx, opts.pushPollMs))
    ctx.connectivity.set('athena-rest', athenaConnectivityTester(ctx, runtime))
    registerSampleSources(ctx, runtime)
    setAthenaState(ctx, { runtime, sync, sandbox })
    maintenanceModule(ctx).pruner.registerLogPruner({ connector: 'athena', prune: (practiceId, before, limit) => runtime.apiLog.prunePractice(practiceId, before, limit) })
    registerAthenaAlertKinds(alertKinds(ctx), runtime)
  }
}

export const athenaModule: ConnectorModule = createAthenaModule()

export { athenaState, findAthenaState } from './state'
export { athenaHandlers } from './api-handlers'

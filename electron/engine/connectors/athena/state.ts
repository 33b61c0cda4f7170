/** The connector's live state per engine, found from the EngineContext the API handlers get. */
import { AppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine'
import type { AthenaRuntime } from './runtime'
import type { AthenaSandboxService } from './sandbox-service'
import type { SyncManager } from './workflows/sync'

export interface AthenaModuleState {
  runtime: AthenaRuntime
  sync: SyncManager
  sandbox: AthenaSandboxService
}

const STATES = new WeakMap<EngineContext, AthenaModuleState>()

export function setAthenaState(ctx: EngineContext, s: AthenaModuleState): void {
  STATES.set(ctx, s)
}

export function athenaState(ctx: EngineContext): AthenaModuleState {
  const s = STATES.get(ctx)
  if (!s) throw new AppError('unsupported_message', 'The athenaNet connector is not installed in this engine.', { retryable: false })
  return s
}

export function findAthenaState(ctx: EngineContext): AthenaModuleState | null {
  return STATES.get(ctx) ?? null
}

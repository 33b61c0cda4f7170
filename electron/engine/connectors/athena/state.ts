/** The connector's live state per engine, found from the EngineContext the API handlers get. */
import { AppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine-context'
import { moduleSlot } from '../../core/module-state'
import type { AthenaRuntime } from './runtime'
import type { AthenaSandboxService } from './sandbox-service'
import type { SyncManager } from './workflows/sync'

export interface AthenaModuleState {
  runtime: AthenaRuntime
  sync: SyncManager
  sandbox: AthenaSandboxService
}

const slot = moduleSlot<AthenaModuleState>()

export function setAthenaState(ctx: EngineContext, s: AthenaModuleState): void {
  slot.set(ctx, s)
}

export function athenaState(ctx: EngineContext): AthenaModuleState {
  const s = slot.find(ctx)
  if (!s) throw new AppError('unsupported_message', 'The athenaNet connector is not installed in this engine.', { retryable: false })
  return s
}

export function findAthenaState(ctx: EngineContext): AthenaModuleState | null {
  return slot.find(ctx) ?? null
}

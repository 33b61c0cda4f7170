/** The file connector's parts, per engine: jobs, pickups, kinds, the runner and how a location is opened. */
import type { EngineContext } from '../../core/engine-context'
import { AppError } from '../../../../shared/errors'
import { moduleSlot } from '../../core/module-state'
import type { FileJobRepo } from './jobs/job-repo'
import type { FileJobRunner } from './jobs/job-runner'
import type { PickupRepo } from './jobs/pickup-repo'
import type { FileKinds } from './kinds/file-kind'
import type { FileTransport, OpenOptions } from './transports/transport'

export interface FilesRuntime {
  jobs: FileJobRepo
  pickups: PickupRepo
  kinds: FileKinds
  runner: FileJobRunner
  open(connectionId: string, opts?: OpenOptions): Promise<FileTransport>
}

const slot = moduleSlot<FilesRuntime>()

export function setFilesRuntime(ctx: EngineContext, rt: FilesRuntime): void {
  slot.set(ctx, rt)
}

export function filesRuntime(ctx: EngineContext): FilesRuntime {
  const rt = slot.find(ctx)
  if (!rt) throw new AppError('internal', 'The file connector is not installed in this engine.', { retryable: false })
  return rt
}

/** The file connector's parts when it is installed (a module whose kinds ride on file jobs registers them only then). */
export function findFilesRuntime(ctx: EngineContext): FilesRuntime | null {
  return slot.find(ctx) ?? null
}

/** `logs.tail`: the engine's own log for the console's log viewer (shared/api/logs.ts). */
import type { EngineContext } from '../core/engine-context'
import { engineLogFile, tailLog } from '../core/log-reader'
import type { Handlers } from './dispatcher'

export function logsHandlers(ctx: EngineContext): Pick<Handlers, 'logs.tail'> {
  return {
    'logs.tail': (q, c) => tailLog(engineLogFile(ctx.dataDir), { ...q, practiceIds: c.scope }),
  }
}

import type { EngineContext } from '../core/engine-context'
import type { Handlers } from './dispatcher'

type PracticeMethods = 'practices.list' | 'practices.get' | 'practices.create' | 'practices.update' | 'practices.usage' | 'practices.delete'

export function practicesHandlers(ctx: EngineContext): Pick<Handlers, PracticeMethods> {
  return {
    'practices.list': (_i, c) => ctx.practices.list().filter((p) => c.scope === null || c.scope.includes(p.id)),
    'practices.get': ({ id }) => ctx.practices.get(id),
    'practices.create': (input, c) => {
      const p = ctx.practices.create(input, c.actor)
      ctx.events.emit('practices.changed', { id: p.id })
      return p
    },
    'practices.update': (input, c) => {
      const p = ctx.practices.update(input, c.actor)
      ctx.events.emit('practices.changed', { id: p.id })
      // Settings decide whether lanes are held (hl7ProcessingPaused): a lane that waited goes on.
      ctx.pipeline.kickPending()
      return p
    },
    'practices.usage': ({ id }) => ctx.practices.usage(id),
    'practices.delete': async ({ id, confirm }, c) => {
      const r = ctx.practices.delete(id, confirm, c.actor)
      for (const cid of r.connectionIds) await ctx.connections.deleteSecrets(cid)
      ctx.events.emit('practices.changed', { id })
      await ctx.reloadServices()
      return { transactions: r.transactions, records: r.records, connections: r.connections }
    },
  }
}

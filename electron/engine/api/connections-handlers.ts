import { AppError } from '../../../shared/errors'
import type { ConnectivityResult } from '../../../shared/api/connections'
import type { EngineContext } from '../core/engine-context'
import type { StoredConnection } from '../practices/connections-repo'
import type { Handlers } from './dispatcher'
import { LastTests } from '../practices/last-tests'

type ConnectionMethods =
  | 'connections.list'
  | 'connections.create'
  | 'connections.update'
  | 'connections.delete'
  | 'connections.setSecret'
  | 'connections.clearSecret'
  | 'connections.test'
  | 'connections.testAll'
  | 'connections.lastTests'

export function connectionsHandlers(ctx: EngineContext): Pick<Handlers, ConnectionMethods> {
  const lastTests = new LastTests(ctx.db)
  const changed = async (practiceId: string, id: string): Promise<void> => {
    ctx.events.emit('connections.changed', { practiceId, id })
    await ctx.reloadServices()
  }
  const test = async (conn: StoredConnection, actor: string): Promise<ConnectivityResult> => {
    const tester = ctx.connectivity.get(conn.kind)
    const result: ConnectivityResult = tester
      ? await tester(conn)
      : { connectionId: conn.id, name: conn.name, kind: conn.kind, ok: false, at: ctx.clock.now(), steps: [{ step: 'test', ok: false, durationMs: 0, error: { code: 'unsupported_message', message: `No connectivity test for ${conn.kind}.`, retryable: false } }] }
    lastTests.record(result)
    ctx.audit.append({ actor, action: 'connection.test', practiceId: conn.practiceId, targetType: 'connection', targetId: conn.id, outcome: result.ok ? 'ok' : 'error', details: { steps: result.steps.map((s) => ({ step: s.step, ok: s.ok })) } })
    return result
  }
  return {
    'connections.list': async ({ practiceId }) => {
      ctx.practices.get(practiceId)
      return Promise.all(ctx.connections.list(practiceId).map((c) => ctx.connections.toDto(c)))
    },
    'connections.create': async (input, c) => {
      const { practiceId, ...cfg } = input
      const conn = ctx.connections.create(practiceId, cfg, c.actor)
      await changed(practiceId, conn.id)
      return ctx.connections.toDto(conn)
    },
    'connections.update': async (input, c) => {
      const { id, ...cfg } = input
      const conn = ctx.connections.update(id, cfg, c.actor)
      await changed(conn.practiceId, conn.id)
      return ctx.connections.toDto(conn)
    },
    'connections.delete': async ({ id }, c) => {
      const conn = await ctx.connections.delete(id, c.actor)
      lastTests.forget(id)
      await changed(conn.practiceId, id)
      return { deleted: true as const }
    },
    'connections.setSecret': async ({ id, field, value }, c) => {
      await ctx.connections.setSecret(id, field, value, c.actor)
      const conn = ctx.connections.get(id)
      await changed(conn.practiceId, id)
      return { set: true as const }
    },
    'connections.clearSecret': async ({ id, field }, c) => {
      await ctx.connections.clearSecret(id, field, c.actor)
      const conn = ctx.connections.get(id)
      await changed(conn.practiceId, id)
      return { set: false as const }
    },
    'connections.test': ({ id }, c) => test(ctx.connections.get(id), c.actor),
    'connections.testAll': async ({ practiceId }, c) => {
      ctx.practices.get(practiceId)
      const out: ConnectivityResult[] = []
      for (const conn of ctx.connections.list(practiceId)) {
        if (!conn.enabled) continue
        out.push(await test(conn, c.actor))
      }
      if (out.length === 0) throw new AppError('not_found', `Practice "${practiceId}" has no enabled connections to test.`)
      return out
    },
    'connections.lastTests': ({ practiceId }) => {
      ctx.practices.get(practiceId)
      return lastTests.forConnections(ctx.connections.list(practiceId).map((c) => c.id))
    },
  }
}

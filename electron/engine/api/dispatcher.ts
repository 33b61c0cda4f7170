/**
 * The one entry point both transports call: validates the input with the contract's schema,
 * checks access (access/guard.ts: who is calling, the method's permission on the practice the
 * call concerns, step-up), runs the handler as that caller, validates (and strips) the output and
 * drops rows of practices the caller cannot see, and returns a Result envelope. Invalid input
 * becomes `invalid_input` with field paths; anything unexpected becomes `internal` and is logged
 * without payloads.
 */
import { z } from 'zod'
import { contract, isMethod, type Method, type OutputOf, type ParsedInputOf } from '../../../shared/api'
import { AppError, toErrorData, type Result } from '../../../shared/errors'
import type { Logger } from '../core/logger'
import type { Authorized, CallOrigin, Guard } from '../access/guard'
import { systemPrincipal, type Principal } from '../access/principal'

export type { CallOrigin } from '../access/guard'

/** What a handler knows about its caller. */
export interface CallContext {
  /** Who is acting, for the audit trail (e.g. "alice (Alice Doe)", or "system"). */
  actor: string
  transport: CallOrigin['transport']
  principal: Principal
  /** Practices where the caller holds the method's permission (null: every practice): what a list must be limited to. */
  scope: string[] | null
  origin: CallOrigin
  /** Why the caller's last session ended, if it did. */
  ended: string | null
}

export type Handler<M extends Method> = (input: ParsedInputOf<M>, ctx: CallContext) => Promise<OutputOf<M>> | OutputOf<M>
export type Handlers = { [M in Method]: Handler<M> }

export type Dispatch = (method: string, input: unknown, origin: CallOrigin) => Promise<Result<unknown>>

export function issuesOf(e: z.ZodError): { path: string; message: string }[] {
  return e.issues.map((i) => ({ path: i.path.map(String).join('.') || '(input)', message: i.message }))
}

/** Without a guard (unit tests of the dispatcher alone) every call runs as the system principal. */
export function createDispatcher(handlers: Handlers, logger: Logger, guard?: Guard): Dispatch {
  return async (method, input, origin) => {
    if (!isMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `Unknown method "${method}".`, retryable: false } }
    const def = contract[method]
    const parsed = def.input.safeParse(input ?? {})
    if (!parsed.success) {
      const issues = issuesOf(parsed.error)
      return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${method}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, retryable: false, details: { issues } } }
    }
    let auth: Authorized
    if (guard) {
      const a = guard.authorize(method, parsed.data, origin)
      if (!a.ok) return { ok: false, error: a.error }
      auth = a.auth
    } else auth = { principal: systemPrincipal(origin.actor), scope: null, ended: null, breakglassId: null }
    const ctx: CallContext = { actor: origin.transport === 'internal' && origin.actor ? origin.actor : auth.principal.name, transport: origin.transport, principal: auth.principal, scope: auth.scope, origin, ended: auth.ended }
    try {
      const handler = handlers[method] as (i: unknown, c: CallContext) => unknown
      const value = await (guard ? guard.run(method, auth, () => handler(parsed.data, ctx)) : handler(parsed.data, ctx))
      const out = def.output.safeParse(value)
      if (!out.success) {
        logger.error('handler returned output that breaks the contract', { method, issues: issuesOf(out.error).slice(0, 5) })
        return { ok: false, error: { code: 'internal', message: 'Internal error', retryable: false } }
      }
      if (!guard) return { ok: true, value: out.data }
      const netted = guard.net(method, auth, out.data)
      return netted.ok ? { ok: true, value: netted.value } : { ok: false, error: netted.error }
    } catch (e) {
      if (e instanceof z.ZodError) {
        const issues = issuesOf(e)
        return { ok: false, error: { code: 'invalid_input', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), retryable: false, details: { issues } } }
      }
      // Type and code only: an unexpected error's message can quote the data it choked on.
      if (!(e instanceof AppError)) logger.error('handler failed', { method, error: (e as Error)?.name, code: (e as { code?: unknown })?.code })
      return { ok: false, error: toErrorData(e) }
    }
  }
}

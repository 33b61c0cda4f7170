/**
 * The one entry point both transports call: validates the input with the contract's schema,
 * runs the handler, validates (and strips) the output, and returns a Result envelope. Invalid
 * input becomes `invalid_input` with field paths; anything unexpected becomes `internal` and is
 * logged without payloads.
 */
import { z } from 'zod'
import { contract, isMethod, type Method, type OutputOf, type ParsedInputOf } from '../../../shared/api'
import { AppError, toErrorData, type Result } from '../../../shared/errors'
import type { Logger } from '../core/logger'

export interface CallContext {
  /** Who is acting, for the audit trail (e.g. "alice@ws-12 (console)"). */
  actor: string
  transport: 'ipc' | 'http' | 'internal'
}

export type Handler<M extends Method> = (input: ParsedInputOf<M>, ctx: CallContext) => Promise<OutputOf<M>> | OutputOf<M>
export type Handlers = { [M in Method]: Handler<M> }

export type Dispatch = (method: string, input: unknown, ctx: CallContext) => Promise<Result<unknown>>

export function issuesOf(e: z.ZodError): { path: string; message: string }[] {
  return e.issues.map((i) => ({ path: i.path.map(String).join('.') || '(input)', message: i.message }))
}

export function createDispatcher(handlers: Handlers, logger: Logger): Dispatch {
  return async (method, input, ctx) => {
    if (!isMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `Unknown method "${method}".`, retryable: false } }
    const def = contract[method]
    const parsed = def.input.safeParse(input ?? {})
    if (!parsed.success) {
      const issues = issuesOf(parsed.error)
      return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${method}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, retryable: false, details: { issues } } }
    }
    try {
      const handler = handlers[method] as (i: unknown, c: CallContext) => unknown
      const value = await handler(parsed.data, ctx)
      const out = def.output.safeParse(value)
      if (!out.success) {
        logger.error('handler returned output that breaks the contract', { method, issues: issuesOf(out.error).slice(0, 5) })
        return { ok: false, error: { code: 'internal', message: 'Internal error', retryable: false } }
      }
      return { ok: true, value: out.data }
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

/**
 * The dispatcher both transports call: input validated with the contract's schema (invalid_input
 * with field paths, handler never called), unknown methods refused, outputs validated (a
 * contract-breaking output is reported as internal, never leaked; extra fields are stripped), and
 * engine errors keep their code / retryable / details while anything unexpected becomes internal.
 */
import { describe, expect, it, vi } from 'vitest'
import { createDispatcher, type CallOrigin, type Handlers } from '../../../electron/engine/api/dispatcher'
import { createLogger, memorySink } from '../../../electron/engine/core/logger'
import { AppError } from '../../../shared/errors'

const ctx: CallOrigin = { actor: 'tester (unit)', transport: 'internal' }
const practice = {
  id: 'p1',
  name: 'P One',
  athenaPracticeId: null,
  environment: 'preview' as const,
  timeZone: 'UTC',
  settings: { unknownPatientRule: 'create' as const, phoneCountry: 'US' },
  builtin: false,
  createdAt: 1,
  updatedAt: 2,
}

function setup(partial: Partial<Record<keyof Handlers, (...a: never[]) => unknown>>) {
  const sink = memorySink()
  const logger = createLogger({ sinks: [sink], level: 'debug' })
  const dispatch = createDispatcher(partial as unknown as Handlers, logger)
  return { dispatch, logs: sink.lines }
}

describe('input validation', () => {
  it('practices.create with a bad id and no name → invalid_input with both field paths; the handler never runs', async () => {
    const create = vi.fn()
    const { dispatch } = setup({ 'practices.create': create })
    const r = await dispatch('practices.create', { id: 'Bad Id!' }, ctx)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('invalid_input')
    expect(r.error.retryable).toBe(false)
    const issues = (r.error.details as { issues: { path: string; message: string }[] }).issues
    expect(issues.map((i) => i.path).sort()).toEqual(['id', 'name'])
    expect(issues.find((i) => i.path === 'id')!.message).toMatch(/lowercase letters, digits and hyphens/)
    expect(r.error.message).toMatch(/^Invalid input for practices\.create: /)
    expect(create).not.toHaveBeenCalled()
  })

  it('nested paths are dotted; wrong types and unknown keys on strict inputs are refused', async () => {
    const { dispatch } = setup({ 'connections.create': vi.fn(), 'system.status': vi.fn() })
    const r = await dispatch('connections.create', { practiceId: 'p', kind: 'hl7-inbound', name: 'in', config: { port: 'twenty' } }, ctx)
    expect(!r.ok && (r.error.details as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['config.port'])
    const strict = await dispatch('system.status', { extra: 1 }, ctx)
    expect(!strict.ok && strict.error.code).toBe('invalid_input')
    const notObject = await dispatch('practices.create', 'a string', ctx)
    expect(!notObject.ok && (notObject.error.details as { issues: { path: string }[] }).issues[0].path).toBe('(input)')
  })

  it('defaults are applied before the handler sees the input', async () => {
    const create = vi.fn((input: unknown) => ({ ...practice, ...(input as object), builtin: false, createdAt: 1, updatedAt: 1 }))
    const { dispatch } = setup({ 'practices.create': create as never })
    const r = await dispatch('practices.create', { id: 'p1', name: 'P One' }, ctx)
    expect(r.ok).toBe(true)
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ environment: 'preview', athenaPracticeId: null, timeZone: 'America/New_York' }), expect.objectContaining(ctx))
  })
})

describe('methods', () => {
  it('an unknown method → unknown_method, including prototype names', async () => {
    const { dispatch } = setup({})
    for (const m of ['system.selfDestruct', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '']) {
      const r = await dispatch(m, {}, ctx)
      expect(r, m).toEqual({ ok: false, error: { code: 'unknown_method', message: `Unknown method "${m}".`, retryable: false } })
    }
  })
})

describe('outputs', () => {
  it('an output that breaks the contract is reported as internal and not leaked', async () => {
    const { dispatch, logs } = setup({ 'practices.get': () => ({ id: 42, name: 'LEAKED-VALUE-7781', secret: 'LEAKED-SECRET-7781' }) })
    const r = await dispatch('practices.get', { id: 'p1' }, ctx)
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error', retryable: false } })
    expect(JSON.stringify(r)).not.toContain('7781')
    expect(logs.some((l) => l.includes('handler returned output that breaks the contract') && l.includes('practices.get'))).toBe(true)
    expect(logs.join('\n')).not.toContain('LEAKED')
  })

  it('fields the contract does not name are stripped from a valid output', async () => {
    const { dispatch } = setup({ 'practices.get': () => ({ ...practice, dbKey: 'STRIPPED-KEY-1', internalRow: { raw: 'x' } }) })
    const r = await dispatch('practices.get', { id: 'p1' }, ctx)
    expect(r).toEqual({ ok: true, value: practice })
    expect(JSON.stringify(r)).not.toContain('STRIPPED-KEY-1')
  })

  it('async handlers are awaited', async () => {
    const { dispatch } = setup({ 'system.ping': async () => ({ pong: true, at: 5 }) })
    expect(await dispatch('system.ping', {}, ctx)).toEqual({ ok: true, value: { pong: true, at: 5 } })
  })
})

describe('errors', () => {
  it('engine errors keep code, retryable and details', async () => {
    const { dispatch, logs } = setup({
      'practices.get': () => {
        throw new AppError('not_found', 'Practice "x" does not exist.')
      },
      'connections.test': async () => {
        throw new AppError('timeout', 'The token endpoint did not answer in 30 s.')
      },
      'practices.create': () => {
        throw new AppError('conflict', 'exists', { details: { issues: [{ path: 'id', message: 'already exists' }] } })
      },
      'system.status': () => {
        throw new AppError('db_locked', 'busy', { retryable: false })
      },
    })
    expect(await dispatch('practices.get', { id: 'x' }, ctx)).toEqual({ ok: false, error: { code: 'not_found', message: 'Practice "x" does not exist.', retryable: false } })
    expect(await dispatch('connections.test', { id: 'c' }, ctx)).toEqual({ ok: false, error: { code: 'timeout', message: 'The token endpoint did not answer in 30 s.', retryable: true } })
    expect(await dispatch('practices.create', { id: 'p1', name: 'P' }, ctx)).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'exists', retryable: false, details: { issues: [{ path: 'id', message: 'already exists' }] } },
    })
    expect(await dispatch('system.status', {}, ctx)).toMatchObject({ ok: false, error: { code: 'db_locked', retryable: false } })
    expect(logs.filter((l) => l.includes('"level":"error"'))).toEqual([]) // expected errors are not logged as failures
  })

  it('anything unexpected becomes a generic internal error; its message reaches neither the caller nor the log', async () => {
    const { dispatch, logs } = setup({
      'practices.get': () => {
        throw new TypeError('Cannot read properties of undefined (reading "DOE^JANE PHI-IN-MESSAGE-5521")')
      },
    })
    const r = await dispatch('practices.get', { id: 'x' }, ctx)
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error', retryable: false } })
    expect(logs.some((l) => l.includes('handler failed') && l.includes('"method":"practices.get"') && l.includes('TypeError'))).toBe(true)
    expect(logs.join('\n')).not.toContain('PHI-IN-MESSAGE-5521')
  })

  it('a zod error thrown inside a handler is invalid_input with paths', async () => {
    const { z } = await import('zod')
    const { dispatch } = setup({
      'practices.update': () => z.object({ settings: z.object({ phoneCountry: z.string().length(2) }) }).parse({ settings: { phoneCountry: 'USA' } }),
    })
    const r = await dispatch('practices.update', { id: 'p1' }, ctx)
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_input', retryable: false, details: { issues: [{ path: 'settings.phoneCountry' }] } } })
  })
})

/**
 * Typed calls into the engine. `api(method, input)` resolves with the contract's output type or
 * throws an ApiError carrying the error envelope (code, message, retryable, details).
 */
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query'
import type { InputOf, Method, OutputOf } from '../../../shared/api'
import type { AppErrorData } from '../../../shared/errors'
import type { Transport } from './transport'

export class ApiError extends Error implements AppErrorData {
  readonly code: AppErrorData['code']
  readonly retryable: boolean
  readonly details?: unknown
  constructor(e: AppErrorData) {
    super(e.message)
    this.code = e.code
    this.retryable = e.retryable
    this.details = e.details
  }
  /** Field-level problems from `invalid_input`, keyed by path. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    const issues = (this.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? []
    for (const i of issues) out[i.path] = i.message
    return out
  }
}

let transport: Transport | null = null
export function setTransport(t: Transport): void {
  transport = t
}
export function getTransport(): Transport {
  if (!transport) throw new Error('transport not initialised')
  return transport
}

/** Asks the person for their password again (step-up); resolves true once the engine accepted it. */
let reauthenticate: (() => Promise<boolean>) | null = null
/** Told when a call finds the session gone (idle, expired, revoked), so the console shows the sign-in page. */
let sessionEnded: (() => void) | null = null
export function setAccessHandlers(h: { reauthenticate: () => Promise<boolean>; sessionEnded: () => void }): void {
  reauthenticate = h.reauthenticate
  sessionEnded = h.sessionEnded
}

export async function api<M extends Method>(method: M, input: InputOf<M>): Promise<OutputOf<M>> {
  let r = await getTransport().call(method, input)
  if (!r.ok && r.error.code === 'reauth_required' && reauthenticate && (await reauthenticate())) r = await getTransport().call(method, input)
  if (!r.ok) {
    if (r.error.code === 'unauthorized' && !method.startsWith('auth.')) sessionEnded?.()
    throw new ApiError(r.error)
  }
  return r.value as OutputOf<M>
}

export function useApi<M extends Method>(
  method: M,
  input: InputOf<M>,
  opts: Omit<UseQueryOptions<OutputOf<M>, ApiError>, 'queryKey' | 'queryFn'> = {},
) {
  return useQuery<OutputOf<M>, ApiError>({ queryKey: [method, input], queryFn: () => api(method, input), ...opts })
}

/** A mutation that refreshes the listed queries (by method name) when it succeeds. */
export function useApiMutation<M extends Method>(method: M, invalidates: Method[] = []) {
  const qc = useQueryClient()
  return useMutation<OutputOf<M>, ApiError, InputOf<M>>({
    mutationFn: (input) => api(method, input),
    onSuccess: async () => {
      await Promise.all(invalidates.map((m) => qc.invalidateQueries({ queryKey: [m] })))
    },
  })
}

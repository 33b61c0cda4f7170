/** Time is a collaborator so tests and benchmarks can control it. */
export interface Clock {
  /** Wall-clock epoch milliseconds (for storage and display). */
  now(): number
  /** Monotonic milliseconds (for timeouts, token expiry, rate limiting); immune to clock steps. */
  monotonic(): number
  /** Resolve after `ms` (monotonic). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = (): void => {
        clearTimeout(t)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

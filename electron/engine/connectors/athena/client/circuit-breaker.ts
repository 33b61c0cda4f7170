/**
 * Circuit breaker per practice (API-07): closed → open after `threshold` consecutive failures
 * (5xx, network errors, timeouts; never 4xx, which mean the server is healthy and said no) →
 * half-open after `openMs`, when one probe call is let through; its success closes the circuit,
 * its failure opens it again. An operator can force it open or closed. While open, calls fail fast
 * with circuit_open (retryable): pipeline work stays queued in the store, a sync stops at its
 * cursor; nothing is dropped.
 */
import { AppError } from '../../../../../shared/errors'
import type { Clock } from '../../../core/clock'

export type CircuitState = 'closed' | 'open' | 'half_open'

export interface CircuitSnapshot {
  state: CircuitState
  forced: 'open' | 'closed' | null
  consecutiveFailures: number
  openedAt: number | null
  /** Wall-clock ms when a probe is allowed again (open state). */
  retryAt: number | null
  opens: number
}

export class CircuitBreaker {
  private state: CircuitState = 'closed'
  private failures = 0
  private openedAtMono = 0
  private openedAtWall: number | null = null
  private probeInFlight = false
  private forced: 'open' | 'closed' | null = null
  private opens = 0

  constructor(
    private readonly clock: Clock,
    private threshold: number,
    private openMs: number,
    private readonly onChange: (from: CircuitState, to: CircuitState, why: string) => void = () => undefined,
  ) {}

  configure(threshold: number, openMs: number): void {
    this.threshold = threshold
    this.openMs = openMs
  }

  /** Operator override; null hands the breaker back (closed, counting from zero). */
  force(state: 'open' | 'closed' | null): void {
    const was = this.forced
    this.forced = state
    if (state === 'closed') this.transition('closed', 'closed by an operator')
    else if (state === 'open') this.transition('open', 'opened by an operator')
    else if (was !== null) this.transition('closed', 'handed back to automatic control')
  }

  /** Throws circuit_open when a call must not go out now; otherwise admits it (maybe as the probe). */
  admit(): { probe: boolean } {
    if (this.forced === 'open') throw this.openError('The circuit was opened by an operator.')
    if (this.forced === 'closed') return { probe: false }
    if (this.state === 'closed') return { probe: false }
    if (this.state === 'open') {
      if (this.clock.monotonic() - this.openedAtMono < this.openMs) throw this.openError()
      this.transition('half_open', 'cool-down elapsed')
    }
    if (this.probeInFlight) throw this.openError('A probe call is testing whether athenaNet recovered.')
    this.probeInFlight = true
    return { probe: true }
  }

  onSuccess(probe: boolean): void {
    if (probe) this.probeInFlight = false
    this.failures = 0
    if (this.state !== 'closed' && this.forced !== 'open') this.transition('closed', probe ? 'probe succeeded' : 'call succeeded')
  }

  onFailure(probe: boolean): void {
    if (probe) this.probeInFlight = false
    this.failures++
    if (this.forced) return
    if (this.state === 'half_open' || (this.state === 'closed' && this.failures >= this.threshold)) {
      this.transition('open', probe ? 'probe failed' : `${this.failures} consecutive failures`)
    }
  }

  /** A call that ended without telling us anything about the server's health (e.g. aborted). */
  onNeutral(probe: boolean): void {
    if (probe) this.probeInFlight = false
  }

  snapshot(): CircuitSnapshot {
    const open = this.state === 'open'
    return {
      state: this.forced === 'open' ? 'open' : this.forced === 'closed' ? 'closed' : this.state,
      forced: this.forced,
      consecutiveFailures: this.failures,
      openedAt: this.openedAtWall,
      retryAt: open ? this.clock.now() + Math.max(0, this.openMs - (this.clock.monotonic() - this.openedAtMono)) : null,
      opens: this.opens,
    }
  }

  private transition(to: CircuitState, why: string): void {
    const from = this.state
    if (from === to && to !== 'open') return
    this.state = to
    if (to === 'open') {
      this.openedAtMono = this.clock.monotonic()
      this.openedAtWall = this.clock.now()
      this.opens++
      this.probeInFlight = false
    }
    if (to === 'closed') this.failures = 0
    if (from !== to) this.onChange(from, to, why)
  }

  private openError(msg?: string): AppError {
    const retryInMs = Math.max(0, this.openMs - (this.clock.monotonic() - this.openedAtMono))
    return new AppError('circuit_open', msg ?? `athenaNet calls for this practice are paused after repeated failures; the next try is in ${Math.ceil(retryInMs / 1000)} s.`, {
      retryable: true,
      details: { retryInMs: this.forced === 'open' ? null : retryInMs },
    })
  }
}

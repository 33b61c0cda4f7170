import type { ListenerStatus } from '../../../shared/api/system'

export interface ServiceStatus {
  name: string
  state: 'running' | 'stopped' | 'error' | 'degraded'
  detail?: string
}

/**
 * The lifecycle every connector engine shares (HL7 listeners and senders, athenaNet sync, the
 * local sandbox), so the engine, `system.status` and the tests treat them alike.
 */
export interface Service {
  readonly name: string
  start(): Promise<void>
  /** Close listeners, let in-flight work finish or leave it queued. */
  stop(): Promise<void>
  status(): ServiceStatus
  listeners?(): ListenerStatus[]
  /** Configuration changed (a connection was created, updated or deleted). */
  reload?(): Promise<void>
}

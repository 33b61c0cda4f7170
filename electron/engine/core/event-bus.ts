/**
 * Typed events from the engine to whoever listens (the transports forward them to the console).
 * Synchronous and in-process; a throwing listener never breaks the emitter.
 */
import type { EventName, EventPayload } from '../../../shared/api/events'

type Listener = (name: EventName, payload: unknown) => void

export class EventBus {
  private readonly listeners = new Set<Listener>()

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) {
      try {
        l(name, payload)
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onAny(listener: (name: EventName, payload: unknown) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

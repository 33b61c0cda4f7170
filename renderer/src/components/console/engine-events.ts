/**
 * Engine events with their payloads, for components that need more than query invalidation
 * (live tail, notification toasts). One shared subscription, opened while anyone listens.
 */
import { useEffect, useRef } from 'react'
import type { EventName, EventPayload } from '../../../../shared/api/events'
import { getTransport } from '../../api/client'

type Listener = (name: string, payload: unknown) => void

const listeners = new Set<Listener>()
let unsubscribe: (() => void) | null = null

function subscribe(l: Listener): () => void {
  listeners.add(l)
  if (!unsubscribe) {
    unsubscribe = getTransport().subscribe((name, payload) => {
      for (const x of [...listeners]) x(name, payload)
    })
  }
  return () => {
    listeners.delete(l)
    if (listeners.size === 0 && unsubscribe) {
      unsubscribe()
      unsubscribe = null
    }
  }
}

/** Calls `handler` for every `name` event while the component is mounted (the latest handler is used). */
export function useEngineEvent<E extends EventName>(name: E, handler: (payload: EventPayload<E>) => void): void {
  const ref = useRef(handler)
  useEffect(() => {
    ref.current = handler
  })
  useEffect(
    () =>
      subscribe((n, p) => {
        if (n === name) ref.current(p as EventPayload<E>)
      }),
    [name],
  )
}

/**
 * The person's choice of the zone times are shown in. Kept in this browser's storage until people
 * have accounts (issue #14); only this file knows where it lives, so it can move to the account.
 */
import { useCallback, useSyncExternalStore } from 'react'
import { ZONE_CHOICES, type ZoneChoice } from '../components/time'

const KEY = 'ps-time-zone'
const listeners = new Set<() => void>()

function read(): ZoneChoice {
  const v = localStorage.getItem(KEY)
  return (ZONE_CHOICES as readonly string[]).includes(v ?? '') ? (v as ZoneChoice) : 'practice'
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn)
  const onStorage = (e: StorageEvent) => e.key === KEY && fn()
  window.addEventListener('storage', onStorage)
  return () => {
    listeners.delete(fn)
    window.removeEventListener('storage', onStorage)
  }
}

export function useZonePreference(): [ZoneChoice, (c: ZoneChoice) => void] {
  const choice = useSyncExternalStore(subscribe, read)
  const set = useCallback((c: ZoneChoice) => {
    localStorage.setItem(KEY, c)
    for (const l of listeners) l()
  }, [])
  return [choice, set]
}

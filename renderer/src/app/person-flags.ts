/**
 * Small yes/no facts about one person's use of the console (the first-run guide dismissed, the
 * error queue opened). Kept in this browser's storage like the time-zone choice (zone-preference.ts),
 * keyed by the person's id so two people sharing a computer each get their own; only this file
 * knows where they live, so they can move to the account with the zone choice.
 */
import { useCallback, useSyncExternalStore } from 'react'

export const PERSON_FLAGS = ['guide-dismissed', 'error-queue-opened'] as const
export type PersonFlag = (typeof PERSON_FLAGS)[number]

const key = (personId: string, flag: PersonFlag) => `ps-flag:${personId}:${flag}`
const listeners = new Set<() => void>()

function subscribe(fn: () => void): () => void {
  listeners.add(fn)
  const onStorage = (e: StorageEvent) => e.key?.startsWith('ps-flag:') && fn()
  window.addEventListener('storage', onStorage)
  return () => {
    listeners.delete(fn)
    window.removeEventListener('storage', onStorage)
  }
}

export function setPersonFlag(personId: string, flag: PersonFlag): void {
  if (localStorage.getItem(key(personId, flag)) === '1') return
  localStorage.setItem(key(personId, flag), '1')
  for (const l of listeners) l()
}

/** Whether the flag is set for the person, and a setter (flags are only ever set). */
export function usePersonFlag(personId: string, flag: PersonFlag): [boolean, () => void] {
  const value = useSyncExternalStore(subscribe, () => localStorage.getItem(key(personId, flag)) === '1')
  const set = useCallback(() => setPersonFlag(personId, flag), [personId, flag])
  return [value, set]
}

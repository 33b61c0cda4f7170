/**
 * The practice the console is looking at. Every page that shows practice data reads it from here;
 * the choice survives reloads.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import type { Practice } from '../../../shared/api/practices'
import { useApi } from '../api/client'

interface PracticeState {
  practiceId: string | null
  practice: Practice | null
  practices: Practice[]
  setPracticeId(id: string): void
}

const Ctx = createContext<PracticeState | null>(null)
const KEY = 'ps-practice'

export function PracticeProvider({ children }: { children: ReactNode }) {
  const { data: practices = [] } = useApi('practices.list', {})
  const [practiceId, setId] = useState<string | null>(() => localStorage.getItem(KEY))
  useEffect(() => {
    if (practices.length && (!practiceId || !practices.some((p) => p.id === practiceId))) setId(practices[0].id)
  }, [practices, practiceId])
  const value = useMemo<PracticeState>(
    () => ({
      practiceId,
      practice: practices.find((p) => p.id === practiceId) ?? null,
      practices,
      setPracticeId: (id) => {
        localStorage.setItem(KEY, id)
        setId(id)
      },
    }),
    [practiceId, practices],
  )
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}

export function usePractice(): PracticeState {
  const v = useContext(Ctx)
  if (!v) throw new Error('usePractice outside PracticeProvider')
  return v
}

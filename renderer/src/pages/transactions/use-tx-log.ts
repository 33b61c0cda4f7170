/**
 * The transaction log's rows: keyset pages loaded as the operator scrolls, never everything.
 * Engine events refresh the head of the list: rows already shown get their new status in place,
 * and new rows are prepended when live tail is on (otherwise counted, for a "show new" button).
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { TxFilter, TxSummary } from '../../../../shared/api/transactions'
import { api, ApiError } from '../../api/client'
import { useEngineEvent } from '../../components/console/engine-events'

const PAGE = 200
const HEAD = 100

export interface TxLog {
  rows: TxSummary[]
  loading: boolean
  done: boolean
  error: ApiError | null
  newRows: number
  loadMore(): void
  showNew(): void
  reload(): void
}

export function useTxLog(filter: (TxFilter & { practiceId: string }) | null, live: boolean): TxLog {
  const key = JSON.stringify(filter)
  const [rows, setRows] = useState<TxSummary[]>([])
  const [loading, setLoading] = useState(false)
  const [done, setDone] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)
  const [pending, setPending] = useState<TxSummary[]>([])
  const cursor = useRef<number | null>(null)
  const generation = useRef(0)
  const busy = useRef(false)
  const [reloadTick, setReloadTick] = useState(0)

  const fetchPage = useCallback(
    async (gen: number) => {
      if (!filter || busy.current) return
      busy.current = true
      setLoading(true)
      try {
        const page = await api('transactions.list', { ...filter, limit: PAGE, ...(cursor.current !== null ? { before: cursor.current } : {}) })
        if (gen !== generation.current) return
        cursor.current = page.nextCursor
        setRows((r) => {
          const seen = new Set(r.map((x) => x.id))
          return [...r, ...page.items.filter((x) => !seen.has(x.id))]
        })
        setDone(page.nextCursor === null)
        setError(null)
      } catch (e) {
        if (gen === generation.current) setError(e instanceof ApiError ? e : new ApiError({ code: 'internal', message: String(e), retryable: false }))
      } finally {
        busy.current = false
        if (gen === generation.current) setLoading(false)
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key],
  )

  useEffect(() => {
    generation.current++
    cursor.current = null
    busy.current = false
    setRows([])
    setPending([])
    setDone(false)
    setError(null)
    void fetchPage(generation.current)
  }, [fetchPage, reloadTick])

  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const liveRef = useRef(live)
  const rowsRef = useRef<TxSummary[]>([])
  useEffect(() => {
    liveRef.current = live
    rowsRef.current = rows
  }, [live, rows])

  const refreshHead = useCallback(async () => {
    if (!filter) return
    const gen = generation.current
    try {
      const head = await api('transactions.list', { ...filter, limit: HEAD })
      if (gen !== generation.current) return
      const byId = new Map(head.items.map((x) => [x.id, x]))
      const isFresh = (current: TxSummary[]) => {
        const newest = current[0]
        const known = new Set(current.map((r) => r.id))
        return head.items.filter((x) => !known.has(x.id) && (!newest || x.receivedAt > newest.receivedAt || (x.receivedAt === newest.receivedAt && x.id > newest.id)))
      }
      if (liveRef.current || rowsRef.current.length === 0) {
        setRows((current) => [...isFresh(current), ...current.map((r) => byId.get(r.id) ?? r)])
      } else {
        const fresh = isFresh(rowsRef.current)
        setRows((current) => current.map((r) => byId.get(r.id) ?? r))
        setPending((p) => {
          const have = new Set(p.map((x) => x.id))
          return [...fresh.filter((x) => !have.has(x.id)), ...p.map((r) => byId.get(r.id) ?? r)]
        })
      }
    } catch {
      /* the next event tries again */
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])

  useEngineEvent('transactions.changed', (e) => {
    if (!filter || e.practiceId !== filter.practiceId) return
    if (refreshTimer.current) return
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null
      void refreshHead()
    }, 300)
  })
  useEffect(() => () => void (refreshTimer.current && clearTimeout(refreshTimer.current)), [])

  // Turning live tail on shows what arrived meanwhile.
  useEffect(() => {
    if (live && pending.length) {
      setRows((r) => [...pending, ...r])
      setPending([])
    }
  }, [live, pending])

  return {
    rows,
    loading,
    done,
    error,
    newRows: pending.length,
    loadMore: () => {
      if (!done && !busy.current) void fetchPage(generation.current)
    },
    showNew: () => {
      setRows((r) => [...pending, ...r])
      setPending([])
    },
    reload: () => setReloadTick((n) => n + 1),
  }
}

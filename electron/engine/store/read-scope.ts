/**
 * Configuration lookups remembered for one synchronous stretch of a lane's work (issue #15, goal 1).
 * A group of HL7 messages asked for the same practice ~3 times a message, its interface once and
 * the mapping set in force twice: ~80 µs of the engine thread's ~600 µs a message, each lookup a
 * SELECT and the parse of its row. Inside `rememberingReads(db, fn)` the first answer per key is
 * kept until `fn` returns; outside it every lookup reads the store, as before.
 *
 * Why it cannot answer a stale value: `fn` is synchronous, so nothing else on this thread runs
 * meanwhile; the other connections (ingest writer, inbox mover, big payloads, checkpointer) never
 * write configuration; and a repo that writes what it remembers forgets it in the same call
 * (`forgetReads`). What the stretch saw is what its first lookup read, as if it had read
 * everything at its start. The next stretch reads again, so a change is seen by the next group.
 */
import type { Db } from './database'

interface Scope {
  depth: number
  readonly kinds: Map<string, Map<string, unknown>>
}

const scopes = new WeakMap<Db, Scope>()

function scopeOf(db: Db): Scope {
  let s = scopes.get(db)
  if (!s) scopes.set(db, (s = { depth: 0, kinds: new Map() }))
  return s
}

/** Runs `fn` (synchronous) with lookups on `db` remembered until it returns; a nested call shares the outer stretch. */
export function rememberingReads<T>(db: Db, fn: () => T): T {
  const s = scopeOf(db)
  s.depth++
  try {
    return fn()
  } finally {
    if (--s.depth === 0) s.kinds.clear()
  }
}

/** `load()`'s answer for `kind`/`key`: inside a remembering stretch the first one, else a fresh one. */
export function remembered<V>(db: Db, kind: string, key: string, load: () => V): V {
  const s = scopes.get(db)
  if (!s || s.depth === 0) return load()
  let m = s.kinds.get(kind)
  if (!m) s.kinds.set(kind, (m = new Map()))
  if (m.has(key)) return m.get(key) as V
  const v = load()
  m.set(key, v)
  return v
}

/** A write of `kind` through its repo: what the current stretch remembered of it is read again. */
export function forgetReads(db: Db, kind: string): void {
  scopes.get(db)?.kinds.delete(kind)
}

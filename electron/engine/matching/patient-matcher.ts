/**
 * The one patient matcher of the product (file imports, the HL7 unknown-patient rule, athenaNet
 * best match): normalise → block → score (score.ts) → grade. Per practice, an in-memory index of
 * normalised patients by blocking key, loaded on first use and caught up with changed records by
 * `updated_at` (index records_updated, migration 0142) before each lookup; an import also tells
 * it about the patients it writes (`observe`). Records merged into another are left out.
 */
import { matcherSettingsSchema, type MatcherSettings } from '../../../shared/files'
import type { Db } from '../store/database'
import { normalizePatient, type NormalizedPatient } from './normalize'
import { blockingKeys, comparePair, explainPair, type PairComparison, type PairScore } from './score'
import type { DuplicateWorklist } from './worklist'

export interface MatchCandidate extends PairScore {
  recordId: number
  grade: NonNullable<PairScore['grade']>
}

export interface MatchOutcome {
  best: MatchCandidate | null
  candidates: MatchCandidate[]
  /** The normalised form of the data matched (hand it to `observe` when that data is then stored). */
  probe: NormalizedPatient
}

/** Blocks larger than this are skipped as a key (a shared office phone, a default DOB). */
const MAX_BLOCK = 500

/** A patient in the index: its normalised form, its blocking keys and the record version they were made from. */
interface Indexed {
  p: NormalizedPatient
  keys: string[]
  /** `records.version` the entry reflects; -1 when unknown (the next catch-up reads the record again). */
  version: number
}

interface PracticeIndex {
  /** Blocking key → the one record holding it, or the records sharing it (most keys are held by one). */
  byKey: Map<string, number | number[]>
  people: Map<number, Indexed>
  seenUpTo: number
  lastCheck: number
  /** Inside `ownWrites`: the writer holds the write lock and observes what it writes, so no catch-up. */
  own: boolean
}

/** A practice's matcher settings as read once by a caller that matches many rows (a file import). */
export interface MatcherSnapshot {
  matcher: MatcherSettings
  phoneCountry: string
}

export interface MatcherDeps {
  db: Db
  now: () => number
  settings: (practiceId: string) => { matcher?: MatcherSettings; phoneCountry?: string } | null
  worklist: DuplicateWorklist
}

export class PatientMatcher {
  private readonly indexes = new Map<string, PracticeIndex>()
  /** Reused by every `match` (one row at a time, synchronously): no set allocated per row. */
  private readonly seen = new Set<number>()
  private readonly one = [0]
  /** The last match's probe and its blocking keys: an import observes the row it just matched. */
  private last: { probe: NormalizedPatient; keys: string[] } | null = null
  private stmts: ReturnType<typeof prepareStatements> | null = null

  constructor(private readonly d: MatcherDeps) {}

  /** The practice's settings now; a caller matching many rows reads them once and passes them back. */
  settingsOf(practiceId: string): MatcherSnapshot {
    const s = this.d.settings(practiceId)
    return { matcher: s?.matcher ?? matcherSettingsSchema.parse({}), phoneCountry: s?.phoneCountry ?? 'US' }
  }

  /** Scores `data` against the practice's patients (leaving out `exclude`), best first. */
  match(practiceId: string, data: Record<string, unknown>, opts: { exclude?: number; limit?: number; settings?: MatcherSnapshot } = {}): MatchOutcome {
    const idx = this.index(practiceId)
    const { matcher, phoneCountry } = opts.settings ?? this.settingsOf(practiceId)
    const me = normalizePatient(opts.exclude ?? -1, data, phoneCountry)
    const keys = blockingKeys(me)
    this.last = { probe: me, keys }
    const seen = this.seen
    seen.clear()
    let graded: { c: PairComparison; id: number }[] | null = null
    for (const k of keys) {
      const block = idx.byKey.get(k)
      if (block === undefined) continue
      let ids: number[]
      if (typeof block === 'number') {
        this.one[0] = block
        ids = this.one
      } else if (block.length > MAX_BLOCK) continue
      else ids = block
      for (const id of ids) {
        if (seen.has(id) || id === opts.exclude) continue
        seen.add(id)
        const other = idx.people.get(id)
        if (!other) continue
        const c = comparePair(me, other.p, matcher)
        if (c.grade) (graded ??= []).push({ c, id })
      }
    }
    if (!graded) return { best: null, candidates: [], probe: me }
    graded.sort((a, b) => b.c.score - a.c.score || a.id - b.id)
    // Reasons are text: written only for the candidates returned.
    const candidates = graded.slice(0, opts.limit ?? 10).map(({ c, id }): MatchCandidate => ({ ...explainPair(c, matcher), grade: c.grade!, recordId: id }))
    return { best: candidates[0] ?? null, candidates, probe: me }
  }

  /**
   * A patient the caller just wrote: indexed at once (the import matches its next rows against it).
   * `probe` is the match outcome's normalised form of the same data (phone parsing is the costly
   * part of normalising; an import matches a row, then observes it). The record's version is noted,
   * so the next catch-up does not read and normalise it again (`version`: as the write returned it).
   */
  observe(practiceId: string, recordId: number, data: Record<string, unknown>, opts: { settings?: MatcherSnapshot; probe?: NormalizedPatient; version?: number } = {}): void {
    const idx = this.indexes.get(practiceId)
    if (!idx) return
    const p = opts.probe ? { ...opts.probe, id: recordId } : normalizePatient(recordId, data, (opts.settings ?? this.settingsOf(practiceId)).phoneCountry)
    const keys = opts.probe && opts.probe === this.last?.probe ? this.last.keys : blockingKeys(p)
    // The writer knows the version it wrote (records.create/patch return it): no query then.
    const version = opts.version ?? this.statements().version.get(recordId)
    this.put(idx, p, keys, version ?? -1)
  }

  /** Sends a pair below certain (or a trap) to the worklist, unless an operator already decided it. */
  propose(practiceId: string, recordId: number, c: MatchCandidate, origin: { txId: number | null; line: number | null; origin: string }): number | null {
    return this.d.worklist.propose({ practiceId, a: recordId, b: c.recordId, score: c.score, grade: c.grade, reasons: c.reasons, trap: c.trap, ...origin })
  }

  /**
   * Runs `write`, a writer's work inside its write transaction (a file import's chunk) that
   * `observe`s every patient it writes. Nobody else can write meanwhile, so the index catches up
   * once at the start and not during `write`; at the end it is current up to now, so the next
   * catch-up does not read the writer's own rows back (their id, version and `updated_at`: that
   * read was ~15 µs a new row of an import, files/speed-log.md).
   */
  ownWrites<T>(practiceId: string, write: () => T): T {
    // No index yet: nothing to keep current (observe skips it too); the first match loads it whole.
    if (!this.indexes.has(practiceId)) return write()
    const idx = this.index(practiceId, true)
    idx.own = true
    try {
      const out = write()
      const now = this.d.now()
      if (now > idx.seenUpTo) idx.seenUpTo = now
      idx.lastCheck = now
      return out
    } finally {
      idx.own = false
    }
  }

  /** Forget a practice's index (e.g. after a merge moved ids). */
  invalidate(practiceId: string): void {
    this.indexes.delete(practiceId)
  }

  private statements(): ReturnType<typeof prepareStatements> {
    return (this.stmts ??= prepareStatements(this.d.db))
  }

  private index(practiceId: string, force = false): PracticeIndex {
    let idx = this.indexes.get(practiceId)
    if (!idx) {
      idx = { byKey: new Map(), people: new Map(), seenUpTo: 0, lastCheck: 0, own: false }
      this.indexes.set(practiceId, idx)
    }
    if (idx.own) return idx
    const now = this.d.now()
    // Catch up with records changed since the last look (cheap with records_updated); at most every 200 ms.
    // A record indexed at the version it has (an import observed it) is not parsed and normalised again.
    if (force || idx.lastCheck === 0 || now - idx.lastCheck > 200) {
      const st = this.statements()
      // The first look reads every patient with its data; a later one reads versions first and the
      // data of only the records changed by someone else (an import's own rows were observed).
      const rows = idx.seenUpTo === 0 ? st.changedWithData.all(practiceId, 0) : st.changed.all(practiceId, idx.seenUpTo)
      let country: string | null = null
      for (const r of rows) {
        if (r.updated_at > idx.seenUpTo) idx.seenUpTo = r.updated_at
        if (idx.people.get(r.id)?.version === r.version) continue
        const data = (r as { data?: string }).data ?? st.data.get(r.id)
        if (data === undefined) continue
        country ??= this.settingsOf(practiceId).phoneCountry
        const p = normalizePatient(r.id, JSON.parse(data) as Record<string, unknown>, country)
        this.put(idx, p, blockingKeys(p), r.version)
      }
      idx.lastCheck = now
    }
    return idx
  }

  /**
   * Only the keys that changed touch the blocks: a DOB block holds hundreds, and a patient read
   * back or observed again mostly keeps its keys.
   */
  private put(idx: PracticeIndex, p: NormalizedPatient, keys: string[], version: number): void {
    const old = idx.people.get(p.id)
    idx.people.set(p.id, { p, keys, version })
    if (old) for (const k of old.keys) if (!keys.includes(k)) unblock(idx.byKey, k, p.id)
    for (const k of keys) if (!old || !old.keys.includes(k)) block(idx.byKey, k, p.id)
  }
}

function block(byKey: Map<string, number | number[]>, k: string, id: number): void {
  const b = byKey.get(k)
  if (b === undefined) byKey.set(k, id)
  else if (typeof b === 'number') {
    if (b !== id) byKey.set(k, [b, id])
  } else if (b[b.length - 1] !== id) b.push(id)
}

function unblock(byKey: Map<string, number | number[]>, k: string, id: number): void {
  const b = byKey.get(k)
  if (b === id) byKey.delete(k)
  else if (typeof b === 'object') {
    const rest = b.filter((x) => x !== id)
    if (rest.length === 0) byKey.delete(k)
    else byKey.set(k, rest.length === 1 ? rest[0]! : rest)
  }
}

function prepareStatements(db: Db) {
  const changed = (columns: string) => `SELECT ${columns} FROM records r
    WHERE r.practice_id = ? AND r.kind = 'patient' AND r.updated_at >= ?
      AND NOT EXISTS (SELECT 1 FROM record_merges m WHERE m.merged_id = r.id AND m.kind = 'merge' AND m.undone_at IS NULL)`
  return {
    changedWithData: db.prepare<[string, number], { id: number; version: number; updated_at: number; data: string }>(changed('r.id, r.version, r.updated_at, r.data')),
    changed: db.prepare<[string, number], { id: number; version: number; updated_at: number }>(changed('r.id, r.version, r.updated_at')),
    data: db.prepare<[number], string>('SELECT data FROM records WHERE id = ?').pluck(),
    version: db.prepare<[number], number>('SELECT version FROM records WHERE id = ?').pluck(),
  }
}

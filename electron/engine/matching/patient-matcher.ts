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
import { blockingKeys, comparePair, explainPair, type PairScore } from './score'
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

interface PracticeIndex {
  byKey: Map<string, number[]>
  people: Map<number, NormalizedPatient>
  seenUpTo: number
  lastCheck: number
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
    const seen = new Set<number>()
    const graded: { c: ReturnType<typeof comparePair>; id: number }[] = []
    for (const k of blockingKeys(me)) {
      const ids = idx.byKey.get(k)
      if (!ids || ids.length > MAX_BLOCK) continue
      for (const id of ids) {
        if (seen.has(id) || id === opts.exclude) continue
        seen.add(id)
        const other = idx.people.get(id)
        if (!other) continue
        const c = comparePair(me, other, matcher)
        if (c.grade) graded.push({ c, id })
      }
    }
    graded.sort((a, b) => b.c.score - a.c.score || a.id - b.id)
    // Reasons are text: written only for the candidates returned.
    const candidates = graded.slice(0, opts.limit ?? 10).map(({ c, id }): MatchCandidate => ({ ...explainPair(c, matcher), grade: c.grade!, recordId: id }))
    return { best: candidates[0] ?? null, candidates, probe: me }
  }

  /**
   * A patient the caller just wrote: indexed at once (the import matches its next rows against it).
   * `probe` is the match outcome's normalised form of the same data (phone parsing is the costly
   * part of normalising; an import matches a row, then observes it).
   */
  observe(practiceId: string, recordId: number, data: Record<string, unknown>, opts: { settings?: MatcherSnapshot; probe?: NormalizedPatient } = {}): void {
    const idx = this.indexes.get(practiceId)
    if (!idx) return
    const p = opts.probe ? { ...opts.probe, id: recordId } : normalizePatient(recordId, data, (opts.settings ?? this.settingsOf(practiceId)).phoneCountry)
    this.put(idx, p)
  }

  /** Sends a pair below certain (or a trap) to the worklist, unless an operator already decided it. */
  propose(practiceId: string, recordId: number, c: MatchCandidate, origin: { txId: number | null; line: number | null; origin: string }): number | null {
    return this.d.worklist.propose({ practiceId, a: recordId, b: c.recordId, score: c.score, grade: c.grade, reasons: c.reasons, trap: c.trap, ...origin })
  }

  /** Forget a practice's index (e.g. after a merge moved ids). */
  invalidate(practiceId: string): void {
    this.indexes.delete(practiceId)
  }

  private index(practiceId: string): PracticeIndex {
    let idx = this.indexes.get(practiceId)
    if (!idx) {
      idx = { byKey: new Map(), people: new Map(), seenUpTo: 0, lastCheck: 0 }
      this.indexes.set(practiceId, idx)
    }
    const now = this.d.now()
    // Catch up with records changed since the last look (cheap with records_updated); at most every 200 ms.
    if (idx.lastCheck === 0 || now - idx.lastCheck > 200) {
      const rows = this.d.db
        .prepare(
          `SELECT r.id, r.data, r.updated_at FROM records r
           WHERE r.practice_id = ? AND r.kind = 'patient' AND r.updated_at >= ?
             AND NOT EXISTS (SELECT 1 FROM record_merges m WHERE m.merged_id = r.id AND m.kind = 'merge' AND m.undone_at IS NULL)`,
        )
        .all(practiceId, idx.seenUpTo) as { id: number; data: string; updated_at: number }[]
      const country = this.settingsOf(practiceId).phoneCountry
      for (const r of rows) {
        this.put(idx, normalizePatient(r.id, JSON.parse(r.data) as Record<string, unknown>, country))
        if (r.updated_at > idx.seenUpTo) idx.seenUpTo = r.updated_at
      }
      idx.lastCheck = now
    }
    return idx
  }

  /**
   * Only the keys that changed touch the blocks: the index's catch-up reads back every patient an
   * import just observed, and rewriting its blocks (a DOB block holds hundreds) cost more than the rest.
   */
  private put(idx: PracticeIndex, p: NormalizedPatient): void {
    const old = idx.people.get(p.id)
    idx.people.set(p.id, p)
    const keys = blockingKeys(p)
    const oldKeys = old ? blockingKeys(old) : []
    for (const k of oldKeys) {
      if (keys.includes(k)) continue
      const ids = idx.byKey.get(k)
      if (ids) idx.byKey.set(k, ids.filter((x) => x !== p.id))
    }
    for (const k of keys) {
      if (oldKeys.includes(k)) continue
      const ids = idx.byKey.get(k)
      if (ids) ids.push(p.id)
      else idx.byKey.set(k, [p.id])
    }
  }
}

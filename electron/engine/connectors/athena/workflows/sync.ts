/**
 * Sync runs, one per (practice, stream) at a time, each resumable:
 *
 * - patients / appointments, full: every department's patients (GET /patients?departmentid=…) or
 *   booked appointments in a window around today (GET /appointments/booked, cancelled included),
 *   page by page, departments in parallel (`syncConcurrency`). Each page is stored as transactions
 *   and the cursor (per-department offsets) saved before the next page is asked for; a failed run
 *   resumes from its cursor.
 * - patients / appointments, incremental: the changed-data feeds. Subscribe once; note the read
 *   in the journal, then read destructively page by page, storing each page before the next; close
 *   the journal entry when all pages are stored. A journal entry left open (crash, error) is
 *   replayed first with athena's processed-time window (US Eastern stamps).
 * - replay: re-reads the feeds' processed window of the last `feedReplayMinutes` (or the minutes
 *   asked for); dedup keeps anything already stored from becoming a second transaction.
 * - reference: departments, providers, appointment types, reasons, cancel reasons.
 * - clinical: chart sections and documents of the given patients (default: patients with booked
 *   appointments in the next seven days, at most 25).
 */
import { AppError, toErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { SyncStatusStream } from '../../../../../shared/api/athena'
import type { AthenaClient, PageResult } from '../client/athena-client'
import { addDaysIso, athenaFromIsoDate, easternStamp, isoToday } from '../client/dates'
import type { Params } from '../client/encode'
import { asId, isRecord, readOne } from '../client/response'
import type { InboundKind } from '../pipeline/messages'
import type { AthenaRuntime } from '../runtime'
import type { SyncStateRow, SyncStream } from '../store/sync-state-repo'
import { departmentIds, syncReference } from './reference'
import { SyncProgressTracker } from './sync-estimate'
import { envelope, receiveAll } from './receive'

export type SyncMode = 'full' | 'incremental' | 'replay'

export interface SyncRequest {
  practiceId: string
  what: SyncStream
  mode: SyncMode
  patientIds?: string[]
  replayMinutes?: number
}

type Item = Record<string, unknown>

interface Run {
  req: SyncRequest
  state: SyncStateRow
  client: AthenaClient
  signal: AbortSignal
  progress: SyncProgressTracker
  /** A full run from the start (not resumed): its count is the next run's fallback total. */
  whole: boolean
  save(): void
  store(kind: InboundKind, source: string, items: Item[], extra?: { patientId?: string; departmentId?: string }): Promise<void>
}

export class SyncManager {
  private readonly running = new Map<string, { promise: Promise<SyncStateRow>; abort: AbortController; state: SyncStateRow; progress: SyncProgressTracker }>()

  constructor(
    private readonly ctx: EngineContext,
    private readonly runtime: AthenaRuntime,
  ) {}

  status(practiceId: string): SyncStatusStream[] {
    const rows = new Map<SyncStream, SyncStatusStream>(this.runtime.syncState.list(practiceId).map((r) => [r.stream, { ...r, progress: null }]))
    const now = this.ctx.clock.monotonic()
    for (const [k, r] of this.running) if (k.startsWith(`${practiceId}\u0000`)) rows.set(r.state.stream, { ...r.state, progress: r.progress.estimate(now) })
    return (['patients', 'appointments', 'reference', 'clinical'] as const).map(
      (stream) =>
        rows.get(stream) ?? {
          practiceId,
          stream,
          status: 'idle',
          mode: null,
          cursor: null,
          startedAt: null,
          finishedAt: null,
          updatedAt: 0,
          calls: 0,
          pages: 0,
          records: 0,
          duplicates: 0,
          errorCode: null,
          errorMessage: null,
          lastSuccessAt: null,
          progress: null,
        },
    )
  }

  isRunning(practiceId: string, stream?: SyncStream): boolean {
    for (const k of this.running.keys()) if (k.startsWith(`${practiceId}\u0000${stream ?? ''}`)) return true
    return false
  }

  /** Starts a run in the background; `promise` settles with its final state (never rejects). */
  start(req: SyncRequest): { state: SyncStateRow; promise: Promise<SyncStateRow> } {
    const key = `${req.practiceId}\u0000${req.what}`
    const cur = this.running.get(key)
    if (cur) throw new AppError('conflict', `A ${req.what} sync is already running for practice "${req.practiceId}".`, { retryable: true })
    // Fail fast on configuration problems (no connection, no athena practice id, sandbox down).
    const entry = this.runtime.entry(req.practiceId)
    const prev = this.runtime.syncState.get(req.practiceId, req.what)
    const now = this.ctx.clock.now()
    const state: SyncStateRow = {
      practiceId: req.practiceId,
      stream: req.what,
      status: 'running',
      mode: req.mode,
      cursor: prev?.cursor ?? null,
      startedAt: now,
      finishedAt: null,
      updatedAt: now,
      calls: 0,
      pages: 0,
      records: 0,
      duplicates: 0,
      errorCode: null,
      errorMessage: null,
      lastSuccessAt: prev?.lastSuccessAt ?? null,
    }
    this.runtime.syncState.put(state)
    const progress = new SyncProgressTracker()
    const abort = new AbortController()
    const promise = this.execute(req, state, prev, entry.client, abort.signal, progress).finally(() => this.running.delete(key))
    this.running.set(key, { promise, abort, state, progress })
    return { state: { ...state }, promise }
  }

  async stopAll(): Promise<void> {
    for (const r of this.running.values()) r.abort.abort(new AppError('internal', 'engine stopping', { retryable: true }))
    await Promise.allSettled([...this.running.values()].map((r) => r.promise))
  }

  private async execute(req: SyncRequest, state: SyncStateRow, prev: SyncStateRow | null, client: AthenaClient, signal: AbortSignal, progress: SyncProgressTracker): Promise<SyncStateRow> {
    const { ctx, runtime } = this
    const unsubscribe = runtime.apiLog.subscribe((c) => {
      if (c.practiceId === req.practiceId && c.kind === 'api') state.calls++
    })
    const run: Run = {
      req,
      state,
      client,
      signal,
      progress,
      whole: false,
      save: () => {
        state.updatedAt = ctx.clock.now()
        runtime.syncState.put(state)
      },
      store: async (kind, source, items, extra) => {
        if (items.length === 0) return
        const now = ctx.clock.now()
        const r = await receiveAll(
          ctx,
          req.practiceId,
          items.map((it) => envelope(kind, client.athenaPracticeId, source, it, now, extra)),
        )
        state.records += r.stored
        state.duplicates += r.duplicates
        progress.page(items.length, ctx.clock.monotonic())
      },
    }
    try {
      switch (req.what) {
        case 'reference': {
          const counts = await syncReference(runtime, req.practiceId, client, signal)
          state.records = Object.values(counts).reduce((a, b) => a + b, 0)
          state.cursor = { ...counts }
          break
        }
        case 'patients':
        case 'appointments':
          if (req.mode === 'full') await this.full(run, prev)
          else await this.feed(run)
          break
        case 'clinical':
          await this.clinical(run)
          break
      }
      state.status = 'done'
      state.lastSuccessAt = ctx.clock.now()
      if (req.mode === 'full' && (req.what === 'patients' || req.what === 'appointments')) {
        // A resumed run saw only the rest, so only a whole run's count is a fallback for the next.
        if (run.whole) runtime.syncState.putTotals(req.practiceId, req.what, 'full', progress.items, state.pages, state.lastSuccessAt)
        state.cursor = null
      }
    } catch (e) {
      const err = toErrorData(signal.aborted ? (signal.reason ?? e) : e)
      state.status = 'error'
      state.errorCode = err.code
      state.errorMessage = err.message
      if (err.code === 'internal' && !(e instanceof AppError)) ctx.logger.error('athena sync failed unexpectedly', { practiceId: req.practiceId, stream: req.what, error: (e as Error)?.name })
      else ctx.logger.warn('athena sync stopped', { practiceId: req.practiceId, stream: req.what, code: err.code })
    } finally {
      unsubscribe()
      state.finishedAt = ctx.clock.now()
      run.save()
    }
    return { ...state }
  }

  /** Full patient or appointment sync across departments, resumable from per-department offsets. */
  private async full(run: Run, prev: SyncStateRow | null): Promise<void> {
    const { client, req, state } = run
    const cfg = this.runtime.entry(req.practiceId).config
    const depts = await departmentIds(this.runtime, req.practiceId, client, cfg.departmentIds, run.signal)
    const kind = req.what === 'patients' ? 'full-patients' : 'full-appointments'
    const resumable = prev?.status === 'error' && prev.mode === 'full' && isRecord(prev.cursor) && prev.cursor.kind === kind
    const today = isoToday(this.ctx.clock.now(), this.ctx.practices.get(req.practiceId).timeZone)
    const cursor: { kind: string; done: string[]; offsets: Record<string, number>; window?: { start: string; end: string } } = resumable
      ? (structuredClone(prev!.cursor) as never)
      : { kind, done: [], offsets: {}, ...(req.what === 'appointments' ? { window: { start: addDaysIso(today, -cfg.appointmentWindowPastDays), end: addDaysIso(today, cfg.appointmentWindowFutureDays) } } : {}) }
    state.cursor = cursor
    run.save()
    const queue = depts.filter((d) => !cursor.done.includes(d))
    const local = new AbortController()
    const signal = AbortSignal.any([run.signal, local.signal])
    const path = req.what === 'patients' ? '/patients' : '/appointments/booked'
    const source = req.what === 'patients' ? '/v1/{practiceid}/patients' : '/v1/{practiceid}/appointments/booked'
    const paramsFor = (dept: string): Params =>
      req.what === 'patients'
        ? { departmentid: dept }
        : { departmentid: dept, startdate: athenaFromIsoDate(cursor.window!.start), enddate: athenaFromIsoDate(cursor.window!.end), showcancelled: true }
    run.whole = !resumable
    run.progress.fallback(resumable ? null : (this.runtime.syncState.lastTotals(req.practiceId, req.what, 'full')?.items ?? null))
    run.progress.plan(queue.length)
    const workers = Math.max(1, Math.min(cfg.syncConcurrency, queue.length))
    let firstError: unknown = null
    const worker = async (): Promise<void> => {
      while (queue.length && !signal.aborted) {
        const dept = queue.shift()!
        try {
          for await (const page of client.paginate<Item>(path, paramsFor(dept), { offset: cursor.offsets[dept] ?? 0, signal, prefetch: true })) {
            sizeFrom(run, dept, page)
            await run.store(req.what === 'patients' ? 'patient' : 'appointment', source, page.items, { departmentId: dept })
            state.pages++
            if (page.nextOffset !== null) cursor.offsets[dept] = page.nextOffset
            run.save()
          }
          cursor.done.push(dept)
          delete cursor.offsets[dept]
          run.save()
        } catch (e) {
          firstError ??= e
          local.abort(e)
          return
        }
      }
    }
    // Departments the first wave does not reach are sized now (one `limit=1` call each), so the
    // expected total is known early instead of when the last department starts.
    const sizing = async (): Promise<void> => {
      for (const dept of queue.slice(workers)) {
        if (signal.aborted || run.progress.hasPart(dept)) continue
        try {
          sizeFrom(run, dept, await client.listPage<Item>(path, paramsFor(dept), { limit: 1, offset: cursor.offsets[dept] ?? 0, signal }))
        } catch {
          return // the estimate falls back to the previous run or says unknown; the sync itself goes on
        }
      }
    }
    await Promise.allSettled([sizing(), ...Array.from({ length: workers }, worker)])
    if (firstError) throw firstError
    if (run.signal.aborted) throw run.signal.reason
  }

  /** Incremental sync through the changed-data feed (or a replay of its processed window). */
  private async feed(run: Run): Promise<void> {
    const { client, req, state } = run
    const feed = req.what as 'patients' | 'appointments'
    const cfg = this.runtime.entry(req.practiceId).config
    const journal = this.runtime.syncState
    const kind: InboundKind = feed === 'patients' ? 'patient' : 'appointment'
    const path = `/${feed}/changed`
    const source = `/v1/{practiceid}/${feed}/changed`
    if (feed === 'appointments' && this.runtime.reference.count(req.practiceId, 'department') === 0) await syncReference(this.runtime, req.practiceId, client, run.signal)

    // Subscribe once (idempotent on athena's side too); PARTIAL / INACTIVE get the full subscription.
    const sub = readOne<Item>((await client.get(`${path}/subscription`, undefined, { signal: run.signal })).body)
    if (!sub || String(sub.status ?? '').toUpperCase() !== 'ACTIVE') await client.post(`${path}/subscription`, {}, { signal: run.signal, idempotent: true })

    // Each read (a replayed window, the read itself) is a part of the expected total once it starts.
    let reads = 0
    const sizeRead = (page: PageResult<Item>, first: boolean): void => {
      if (!first) return
      run.progress.plan(++reads)
      sizeFrom(run, `read-${reads}`, page)
    }
    const readWindow = async (start: number, end: number): Promise<number> => {
      let n = 0
      const params = { showprocessedstartdatetime: easternStamp(start), showprocessedenddatetime: easternStamp(end) }
      for await (const page of client.paginate<Item>(path, params, { signal: run.signal })) {
        sizeRead(page, n === 0 && page.offset === 0)
        await run.store(kind, source, page.items)
        n += page.items.length
        state.pages++
        run.save()
      }
      return n
    }

    // A read that was not stored completely (crash, error) is replayed from its processed time.
    for (const open of journal.openFeedReads(req.practiceId, feed)) {
      await readWindow(open.readAt - 2000, this.ctx.clock.now() + 1000)
      journal.closeFeedRead(open.id, this.ctx.clock.now())
    }
    if (req.mode === 'replay') {
      const minutes = req.replayMinutes ?? cfg.feedReplayMinutes
      const now = this.ctx.clock.now()
      await readWindow(now - minutes * 60_000, now + 1000)
      state.cursor = { feed, subscribed: true, replayedMinutes: minutes }
      return
    }
    const readId = journal.openFeedRead(req.practiceId, feed, this.ctx.clock.now())
    const params: Params = cfg.feedLeaveUnprocessed ? { leaveunprocessed: true } : {}
    let pages: PageResult<Item> | null = null
    for await (const page of client.paginate<Item>(path, params, { signal: run.signal })) {
      sizeRead(page, pages === null)
      pages = page
      await run.store(kind, source, page.items)
      journal.addFeedRecords(readId, page.items.length)
      state.pages++
      run.save()
    }
    journal.closeFeedRead(readId, this.ctx.clock.now())
    state.cursor = { feed, subscribed: true, lastReadAt: this.ctx.clock.now(), lastTotal: pages?.totalcount ?? 0 }
  }

  private async clinical(run: Run): Promise<void> {
    const { client, req, state } = run
    const ids = req.patientIds?.length ? req.patientIds : this.upcomingPatients(req.practiceId)
    state.cursor = { patients: ids.length, done: 0 }
    for (const pid of ids) {
      if (run.signal.aborted) throw run.signal.reason
      const dept = await this.departmentOf(req.practiceId, client, pid, run.signal)
      const extra = { patientId: pid, departmentId: dept }
      const base = `/v1/{practiceid}/chart/{patientid}`
      for (const section of ['allergies', 'medications', 'problems', 'vitals'] as const) {
        const res = await client.get(`/chart/${pid}/${section}`, { departmentid: dept, showrxnorm: section === 'medications' ? true : undefined }, { signal: run.signal })
        if (isRecord(res.body)) await run.store(section, `${base}/${section}`, [res.body], extra)
        state.pages++
      }
      const labs = await client.all<Item>(`/chart/${pid}/labresults`, { departmentid: dept }, { key: 'results', signal: run.signal })
      await run.store('labresults', `${base}/labresults`, [{ results: labs, patientid: pid }], extra)
      const docs = await client.all<Item>(`/patients/${pid}/documents`, { departmentid: dept }, { key: 'documents', signal: run.signal })
      await run.store('documents', '/v1/{practiceid}/patients/{patientid}/documents', [{ documents: docs, patientid: pid }], extra)
      state.pages += 2
      ;(state.cursor as { done: number }).done++
      run.save()
    }
  }

  private async departmentOf(practiceId: string, client: AthenaClient, patientId: string, signal: AbortSignal): Promise<string> {
    const rec = this.ctx.records.findByExternalId(practiceId, 'patient', 'athena', patientId)
    const known = rec ? asId(rec.data.department_id) : null
    if (known) return known
    const p = readOne<Item>((await client.get(`/patients/${patientId}`, undefined, { signal })).body)
    const d = p ? (asId(p.departmentid) ?? asId(p.primarydepartmentid)) : null
    if (!d) throw new AppError('not_found', `athenaNet patient ${patientId} has no department.`, { retryable: false })
    return d
  }

  /** athena ids of patients with a booked appointment in the next seven days (Practice Studio records). */
  private upcomingPatients(practiceId: string): string[] {
    const now = this.ctx.clock.now()
    const until = now + 7 * 86_400_000
    const out = new Set<string>()
    let after = 0
    for (let i = 0; i < 50 && out.size < 25; i++) {
      const batch = this.ctx.records.list(practiceId, 'appointment', after, 1000)
      if (batch.length === 0) break
      for (const r of batch) {
        after = r.id
        const t = Date.parse(String(r.data.start_time ?? ''))
        const pid = asId(r.data.patient_id)
        if (pid && r.data.status === 'scheduled' && t >= now && t <= until) out.add(pid)
        if (out.size >= 25) break
      }
    }
    return [...out]
  }
}

/** A part's first page tells its size for this run: athenaNet's `totalcount` less the offset it starts at. */
function sizeFrom(run: Run, key: string, page: PageResult<Item>): void {
  if (!run.progress.hasPart(key)) run.progress.part(key, page.totalcount === null ? null : page.totalcount - page.offset)
}

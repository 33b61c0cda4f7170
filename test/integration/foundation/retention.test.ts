/**
 * Issue #17 item 4 (retention): per practice and connector, raw payloads are pruned first (the row,
 * its metadata and its SHA-256 stay), whole finished transactions later, and the connector's logs
 * (athenaNet API log) after their own period; unfinished and failed transactions, and ones a mapping
 * sample reads, are never touched; the audit trail is never pruned and cannot be set below six
 * years. Each run is recorded and audited with counts only; the scheduled run happens only inside
 * the off-peak window.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createAthenaModule } from '../../../electron/engine/connectors/athena'
import { inPruneWindow } from '../../../electron/engine/maintenance/pruner'
import { maintenanceModule } from '../../../electron/engine/maintenance/maintenance-module'
import { openTestEngine, steppedClock, waitFor, type TestEngine } from './support/harness'

const DAY = 86_400_000
const NOW = Date.parse('2026-06-01T12:00:00Z')

function addTx(t: TestEngine, o: { practiceId?: string; connector?: string; daysAgo: number; status?: string; word: string }): number {
  const { id } = t.engine.ctx.txRepo.insert(
    {
      practiceId: o.practiceId ?? 'clinic',
      connector: o.connector ?? 'hl7',
      channel: 'adt-in',
      direction: 'in',
      messageType: 'ADT^A08',
      contentType: 'hl7v2',
      controlId: `CTRL-${o.word}`,
      raw: Buffer.from(`MSH|^~\\&|A|B|C|D|20260101||ADT^A08|CTRL-${o.word}|P|2.5.1\rPID|1||MRN1||${o.word}^PATIENT\r`),
    },
    NOW - o.daysAgo * DAY,
  )
  t.engine.ctx.db.prepare(`UPDATE transactions SET status = ?, parsed = '{"pid":"x"}', mapped = '{"name":"x"}' WHERE id = ?`).run(o.status ?? 'done', id)
  t.engine.ctx.db.prepare(`INSERT INTO transaction_steps (tx_id, attempt, step, outcome, started_at, duration_ms) VALUES (?, 1, 'parse', 'ok', 0, 1)`).run(id)
  return id
}

const row = (t: TestEngine, id: number) =>
  t.engine.ctx.db.prepare('SELECT id, (SELECT coalesce(sum(length(r.raw)), 0) FROM transaction_raw AS r WHERE r.tx_id = t.id) AS rawBytes, raw_sha256, control_id, message_type, parsed, mapped, raw_pruned_at, status FROM transactions AS t WHERE id = ?').get(id) as
    | { rawBytes: number; raw_sha256: string; control_id: string; message_type: string; parsed: string | null; mapped: string | null; raw_pruned_at: number | null; status: string }
    | undefined
const ftsHas = (t: TestEngine, word: string): boolean => Boolean(t.engine.ctx.db.prepare('SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH ?').get(word))
const steps = (t: TestEngine, id: number): number => (t.engine.ctx.db.prepare('SELECT count(*) AS n FROM transaction_steps WHERE tx_id = ?').get(id) as { n: number }).n

describe('retention', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  it('prunes raw payloads first, then whole finished transactions, per practice and connector, and records and audits the run', async () => {
    const clock = steppedClock(NOW)
    t = await openTestEngine({ clock })
    await t.call('practices.create', { id: 'clinic', name: 'Clinic' })
    await t.call('practices.create', { id: 'other', name: 'Other' })
    const old = addTx(t, { daysAgo: 40, word: 'oldpayload' })
    const oldEdited = addTx(t, { daysAgo: 45, word: 'editedpayload' })
    t.engine.ctx.txRepo.addPayloadVersion(oldEdited, Buffer.from('MSH|edited'), 'tester', 'fix', NOW)
    const oldError = addTx(t, { daysAgo: 40, status: 'error', word: 'failedpayload' })
    const oldQueued = addTx(t, { daysAgo: 400, status: 'queued', word: 'queuedpayload' })
    const recent = addTx(t, { daysAgo: 5, word: 'recentpayload' })
    const ancient = addTx(t, { daysAgo: 400, word: 'ancientpayload' })
    const athenaOld = addTx(t, { connector: 'athena', daysAgo: 40, word: 'athenapayload' })
    const otherPractice = addTx(t, { practiceId: 'other', daysAgo: 400, word: 'otherpayload' })
    const sampled = addTx(t, { daysAgo: 400, word: 'samplepayload' })
    t.engine.ctx.db.prepare(`INSERT INTO mapping_samples (practice_id, name, kind, origin, tx_id, sensitive, created_by, created_at) VALUES ('clinic', 's', 'hl7', 'transaction', ?, 1, 'x', 0)`).run(sampled)
    const sha = row(t, old)!.raw_sha256

    await t.call('practices.update', { id: 'clinic', settings: { retention: { rawPayloadDays: 30, transactionsDays: 365, connectors: { athena: { rawPayloadDays: 90 } } } } })
    const run = await t.call<{ payloadsPruned: number; transactionsDeleted: number; payloadBytes: number; batches: number; error: string | null; trigger: string }>('retention.pruneNow')
    // old, oldEdited, and ancient (its payload goes first, then the whole row)
    expect(run).toMatchObject({ trigger: 'manual', payloadsPruned: 3, transactionsDeleted: 1, error: null })
    expect(run.payloadBytes).toBeGreaterThan(0)

    // Raw payload gone (with its edited version, snapshots and search entry); the row, metadata and hash stay.
    expect(row(t, old)).toMatchObject({ rawBytes: 0, raw_sha256: sha, control_id: 'CTRL-oldpayload', message_type: 'ADT^A08', parsed: null, mapped: null, raw_pruned_at: NOW, status: 'done' })
    expect(ftsHas(t, 'oldpayload')).toBe(false)
    expect(row(t, oldEdited)!.rawBytes).toBe(0)
    expect(t.engine.ctx.db.prepare('SELECT count(*) AS n FROM transaction_payloads WHERE tx_id = ?').get(oldEdited)).toEqual({ n: 0 })
    // Kept: failed and unfinished ones, recent ones, the athena connector's longer period, another practice, a mapping sample's source.
    for (const id of [oldError, oldQueued, recent, athenaOld, otherPractice, sampled]) expect(row(t, id)!.rawBytes, `tx ${id}`).toBeGreaterThan(0)
    expect(ftsHas(t, 'athenapayload')).toBe(true)
    // Past transactionsDays: the whole transaction and its steps are gone.
    expect(row(t, ancient)).toBeUndefined()
    expect(steps(t, ancient)).toBe(0)
    expect(ftsHas(t, 'ancientpayload')).toBe(false)

    const runs = await t.call<{ id: number; payloadsPruned: number; durationMs: number }[]>('retention.runs', {})
    expect(runs[0]).toMatchObject({ payloadsPruned: 3 })
    expect(runs[0].durationMs).toBeGreaterThanOrEqual(0)
    const audited = t.engine.ctx.audit.list({ action: 'retention.prune' })
    expect(audited).toHaveLength(1)
    expect(Object.keys(audited[0].details).sort()).toEqual(['batches', 'durationMs', 'logsDeleted', 'orphanBodiesDeleted', 'orphanBodyBytes', 'payloadBytes', 'payloadsPruned', 'transactionBytes', 'transactionsDeleted', 'trigger'])
    expect(JSON.stringify(t.engine.ctx.audit.list({ limit: 1000 }))).not.toMatch(/oldpayload|ancientpayload|PATIENT|MRN1/)
    // The audit trail itself is never pruned and still verifies.
    expect((await t.call<{ ok: boolean }>('audit.verify')).ok).toBe(true)

    // A second run finds nothing more to do.
    expect(await t.call('retention.pruneNow')).toMatchObject({ payloadsPruned: 0, transactionsDeleted: 0 })

    // Document bodies no record refers to (migration 0240) go once past the grace period; a fresh one
    // (it may belong to a write about to commit) stays.
    const db = t.engine.ctx.db
    const putBody = db.prepare('INSERT INTO bodies (sha256, bytes, stored_at, body) VALUES (?, 3, ?, ?)')
    putBody.run('a'.repeat(64), t.engine.ctx.clock.now() - 2 * 60 * 60_000, Buffer.from('old'))
    putBody.run('b'.repeat(64), t.engine.ctx.clock.now(), Buffer.from('new'))
    await t.call('retention.pruneNow')
    expect(db.prepare('SELECT sha256 FROM bodies').pluck().all()).toEqual(['b'.repeat(64)])
    expect(t.engine.ctx.audit.list({ action: 'retention.prune' }).map((e) => [e.details.orphanBodiesDeleted, e.details.orphanBodyBytes])).toContainEqual([1, 3])
  })

  it('a pruned payload says so: when and by which rule, no empty raw stage, and reprocess, edit, preview and reading the raw are refused as payload_pruned', async () => {
    const clock = steppedClock(NOW)
    t = await openTestEngine({ clock })
    await t.call('practices.create', { id: 'clinic', name: 'Clinic' })
    const old = addTx(t, { daysAgo: 40, word: 'prunedpayload' })
    const athenaOld = addTx(t, { connector: 'athena', daysAgo: 100, word: 'athenaprunedpayload' })
    const kept = addTx(t, { daysAgo: 5, word: 'keptpayload' })
    await t.call('practices.update', { id: 'clinic', settings: { retention: { rawPayloadDays: 30, connectors: { athena: { rawPayloadDays: 90 } } } } })
    expect(await t.call('retention.pruneNow')).toMatchObject({ payloadsPruned: 2 })

    const detail = await t.call<{ rawPruned: unknown; stages: string[]; controlId: string; rawSha256: string; status: string }>('transactions.get', { id: old })
    expect(detail).toMatchObject({ rawPruned: { at: NOW, days: 30, scope: 'practice' }, controlId: 'CTRL-prunedpayload', status: 'done' })
    expect(detail.stages).not.toContain('raw')
    expect((await t.call<{ rawPruned: unknown }>('transactions.get', { id: athenaOld })).rawPruned).toEqual({ at: NOW, days: 90, scope: 'connector' })
    const keptDetail = await t.call<{ rawPruned: unknown; stages: string[] }>('transactions.get', { id: kept })
    expect(keptDetail.rawPruned).toBeNull()
    expect(keptDetail.stages).toContain('raw')

    const view = await t.call<{ stages: { stage: string }[] }>('inspector.view', { id: old })
    expect(view.stages.map((s) => s.stage)).not.toContain('raw')

    const refused = async (method: string, input: unknown): Promise<void> => {
      const r = await t!.callRaw(method, input)
      expect(r.ok, method).toBe(false)
      if (!r.ok) {
        expect(r.error, method).toMatchObject({ code: 'payload_pruned', retryable: false })
        expect(r.error.message, method).toMatch(/removed by retention on 2026-06-01/)
      }
    }
    await refused('transactions.payload', { id: old, stage: 'raw' })
    await refused('transactions.editAndReprocess', { id: old, raw: 'MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X|P|2.5.1', reason: 'retype it' })
    await refused('errors.preview', { id: old, raw: 'MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X|P|2.5.1' })
    await refused('inspector.reveal', { id: old, stage: 'raw', path: '*' })
    const rep = await t.call<{ queued: number[]; skipped: { id: number; reason: string }[] }>('transactions.reprocess', { ids: [old, kept] })
    expect(rep.queued).toEqual([kept])
    expect(rep.skipped).toEqual([{ id: old, reason: expect.stringMatching(/removed by retention/) }])
    expect(row(t, old)).toMatchObject({ status: 'done', rawBytes: 0 })
    expect(t.engine.ctx.audit.list({ action: 'transaction.reprocess', targetId: String(old) })).toHaveLength(0)
    expect(t.engine.ctx.audit.list({ action: 'transaction.edit', targetId: String(old) })).toHaveLength(0)
  })

  it('small batches: many rows pruned over many short transactions', async () => {
    const clock = steppedClock(NOW)
    t = await openTestEngine({ clock })
    await t.call('practices.create', { id: 'clinic', name: 'Clinic' })
    for (let i = 0; i < 120; i++) addTx(t, { daysAgo: 40, word: `w${i}` })
    const s = await t.call<Record<string, Record<string, unknown>>>('system.settings')
    await t.call('system.saveSettings', { ...s, pruner: { ...s.pruner, batchSize: 25, pauseMs: 0 } })
    await t.call('practices.update', { id: 'clinic', settings: { retention: { rawPayloadDays: 30 } } })
    const run = await t.call<{ payloadsPruned: number; batches: number }>('retention.pruneNow')
    expect(run.payloadsPruned).toBe(120)
    expect(run.batches).toBeGreaterThanOrEqual(5)
  })

  it('every retention change is audited as what changed; an audit period under six years or raw kept longer than transactions is refused', async () => {
    t = await openTestEngine()
    await t.call('practices.create', { id: 'clinic', name: 'Clinic' })
    await t.call('practices.update', { id: 'clinic', settings: { retention: { rawPayloadDays: 30, transactionsDays: 365, auditYears: 7 } } })
    const [entry] = t.engine.ctx.audit.list({ action: 'practice.update', targetId: 'clinic' })
    expect(entry.details).toEqual({ changed: { retention: { from: null, to: { rawPayloadDays: 30, transactionsDays: 365, logsDays: null, auditYears: 7, connectors: {} } } } })
    const short = await t.callRaw('practices.update', { id: 'clinic', settings: { retention: { auditYears: 5 } } })
    expect(short.ok).toBe(false)
    expect(!short.ok && short.error.message).toMatch(/at least 6 years/)
    const inverted = await t.callRaw('practices.update', { id: 'clinic', settings: { retention: { rawPayloadDays: 400, transactionsDays: 365 } } })
    expect(inverted.ok).toBe(false)
    expect(!inverted.ok && inverted.error.message).toMatch(/raw payloads cannot be kept longer/)
    expect(t.engine.ctx.audit.list({ action: 'practice.update', targetId: 'clinic' })).toHaveLength(1)
    // Retention travels with the configuration file.
    const { json } = await t.call<{ json: string }>('config.export', { practiceIds: ['clinic'] })
    expect(JSON.parse(json).practices[0].settings.retention).toMatchObject({ rawPayloadDays: 30, transactionsDays: 365, auditYears: 7 })
  })

  it("prunes a connector's logs (the athenaNet API log) after the practice's logsDays", async () => {
    const clock = steppedClock(NOW)
    t = await openTestEngine({ clock, modules: [createAthenaModule()] })
    await t.call('practices.create', { id: 'clinic', name: 'Clinic' })
    const put = t.engine.ctx.db.prepare(`INSERT INTO athena_api_calls (at, practice_id, method, endpoint, path, outcome, latency_ms, attempt, request_id) VALUES (?, ?, 'GET', '/v1/x', '/v1/x', 'ok', 1, 1, 'r')`)
    for (let i = 0; i < 30; i++) put.run(NOW - 20 * DAY, 'clinic')
    for (let i = 0; i < 5; i++) put.run(NOW - 2 * DAY, 'clinic')
    for (let i = 0; i < 7; i++) put.run(NOW - 20 * DAY, 'other-practice')
    await t.call('practices.update', { id: 'clinic', settings: { retention: { logsDays: 7 } } })
    const run = await t.call<{ logsDeleted: number }>('retention.pruneNow')
    expect(run.logsDeleted).toBe(30)
    const left = t.engine.ctx.db.prepare('SELECT practice_id, count(*) AS n FROM athena_api_calls GROUP BY practice_id ORDER BY practice_id').all()
    expect(left).toEqual([
      { practice_id: 'clinic', n: 5 },
      { practice_id: 'other-practice', n: 7 },
    ])
  })

  it('the scheduled run starts only inside the off-peak window', async () => {
    const base = new Date(2026, 5, 1, 12, 0, 0).getTime() // local noon
    const clock = steppedClock(base)
    t = await openTestEngine({ clock })
    await t.call('practices.create', { id: 'clinic', name: 'Clinic' })
    addTx(t, { daysAgo: 0, word: 'x' })
    t.engine.ctx.db.prepare('UPDATE transactions SET received_at = ?').run(base - 40 * DAY)
    await t.call('practices.update', { id: 'clinic', settings: { retention: { rawPayloadDays: 30 } } })
    const s = await t.call<Record<string, Record<string, unknown>>>('system.settings')
    await t.call('system.saveSettings', { ...s, pruner: { ...s.pruner, windowStart: '01:00', windowEnd: '05:00' } })
    expect(maintenanceModule(t.engine.ctx).prunerService.status().detail).toMatch(/between 01:00 and 05:00/)
    for (let i = 0; i < 4; i++) clock.advance(5 * 60_000) // 12:00 → 12:20: outside
    await new Promise((r) => setTimeout(r, 50))
    expect(await t.call<unknown[]>('retention.runs', {})).toHaveLength(0)
    clock.advance(new Date(2026, 5, 2, 1, 30).getTime() - clock.now() - 1) // just before 01:30 next night
    clock.advance(5 * 60_000)
    await waitFor(async () => (await t!.call<{ trigger: string }[]>('retention.runs', {}))[0]?.trigger === 'schedule', 'a scheduled run in the window')
  })
})

describe('the off-peak window', () => {
  const at = (h: number, m = 0) => new Date(2026, 0, 15, h, m).getTime()
  it('plain, across midnight, and all day', () => {
    expect(inPruneWindow(at(2), { windowStart: '01:00', windowEnd: '05:00' })).toBe(true)
    expect(inPruneWindow(at(5), { windowStart: '01:00', windowEnd: '05:00' })).toBe(false)
    expect(inPruneWindow(at(0, 59), { windowStart: '01:00', windowEnd: '05:00' })).toBe(false)
    expect(inPruneWindow(at(23, 30), { windowStart: '22:00', windowEnd: '04:00' })).toBe(true)
    expect(inPruneWindow(at(3), { windowStart: '22:00', windowEnd: '04:00' })).toBe(true)
    expect(inPruneWindow(at(12), { windowStart: '22:00', windowEnd: '04:00' })).toBe(false)
    expect(inPruneWindow(at(12), { windowStart: '00:00', windowEnd: '00:00' })).toBe(true)
  })
})

/**
 * The transaction pipeline with a real engine (SQLCipher store, group commit, lanes) and a
 * test-only connector handler: statuses, steps, retries with backoff, per-lane order, dedup,
 * reprocess / edit / discard with their audit rows, preview without side effects, and the group
 * commit that acknowledges only what is durable.
 */
import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorGroupKey } from '../../../electron/engine/pipeline/error-group'
import type { Db } from '../../../electron/engine/store/database'
import { COMMIT_SEQ, SYNCED_SEQ } from '../../../electron/engine/store/write-batcher'
import type { TxStatus } from '../../../shared/api/transactions'
import { ACTOR, openSecondConnection, openTestEngine, waitFor, type TestEngine } from './support/harness'
import { createTestHandler, msg, type TestHandlerControl, type TestMessage } from './support/test-handler'

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const FINAL: TxStatus[] = ['done', 'filtered', 'error', 'discarded']

let t: TestEngine
let h: TestHandlerControl

beforeEach(async () => {
  h = createTestHandler({ maxAttempts: 3, backoff: { baseMs: 5, capMs: 20 } })
  t = await openTestEngine({ modules: [(e) => e.ctx.pipeline.register(h.handler)] })
  for (const id of ['lane-a', 'lane-b']) t.engine.ctx.practices.create({ id, name: id, athenaPracticeId: null, environment: 'preview', timeZone: 'UTC', settings: { unknownPatientRule: 'create', phoneCountry: 'US' } }, 'test')
})
afterEach(async () => {
  await t.stop()
})

const receive = (m: TestMessage, extra: { practiceId?: string; dedupKey?: string; response?: string; channel?: string } = {}) =>
  t.engine.ctx.pipeline.receive({
    practiceId: extra.practiceId ?? 'sandbox',
    connector: 'test',
    channel: extra.channel ?? 'test-channel',
    direction: 'in',
    contentType: 'json',
    raw: msg(m),
    dedupKey: extra.dedupKey ?? null,
    response: extra.response ?? null,
  })
const row = (id: number) => t.engine.ctx.txRepo.get(id)!
const steps = (id: number) => t.engine.ctx.txRepo.steps(id)
const settled = (id: number, statuses: TxStatus[] = FINAL) => waitFor(() => statuses.includes(row(id).status), `tx ${id} to reach ${statuses.join('|')}`)

describe('pipeline outcomes', () => {
  it('receive → done, with parse / filter / map / apply recorded and the record applied', async () => {
    const r = await receive({ id: 'ok-1', patient: { mrn: 'MRN-OK-1', last_name: 'Okafor' } })
    expect(r).toMatchObject({ duplicate: false, status: 'received' })
    await settled(r.id)
    const tx = row(r.id)
    expect(tx.status).toBe('done')
    expect(tx.attempts).toBe(1)
    expect(tx.control_id).toBe('ok-1')
    expect(tx.message_type).toBe('TEST')
    expect(tx.response).toBe('OK ok-1')
    expect(tx.error_code).toBeNull()
    expect(steps(r.id).map((s) => [s.attempt, s.step, s.outcome])).toEqual([
      [1, 'parse', 'ok'],
      [1, 'filter', 'ok'],
      [1, 'map', 'ok'],
      [1, 'apply', 'ok'],
    ])
    const rec = t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'test-msg', 'ok-1')
    expect(rec?.data).toEqual({ mrn: 'MRN-OK-1', last_name: 'Okafor' })
    expect(t.engine.ctx.records.changesForTx(r.id).map((c) => c.op)).toEqual(['create'])
    const detail = await t.call<{ status: string; stages: string[]; steps: unknown[] }>('transactions.get', { id: r.id })
    expect(detail.status).toBe('done')
    expect(detail.stages).toEqual(['raw', 'parsed', 'mapped', 'response'])
  })

  it('a lane goes on once an outcome is committed, but whoever waits for it is told only once it is on disk', async () => {
    const d = t.engine.ctx.batcher.durability
    const snapshot = () => ({ synced: Atomics.load(d, SYNCED_SEQ), committed: Atomics.load(d, COMMIT_SEQ) })
    const r = await receive({ id: 'disk-1', patient: { mrn: 'MRN-DISK-1' } })
    const waited = await t.engine.ctx.pipeline.outcome(r.id).then((o) => ({ status: o.status, ...snapshot() }))
    expect(waited.status).toBe('done')
    expect(waited.synced).toBeGreaterThanOrEqual(waited.committed)
    // Asked after it finished: the same rule.
    const r2 = await receive({ id: 'disk-2', patient: { mrn: 'MRN-DISK-2' } })
    await settled(r2.id)
    const late = await t.engine.ctx.pipeline.outcome(r2.id).then((o) => ({ status: o.status, ...snapshot() }))
    expect(late.status).toBe('done')
    expect(late.synced).toBeGreaterThanOrEqual(late.committed)
    expect(t.engine.ctx.batcher.stats.syncs).toBeGreaterThan(0)
  })

  it('filtered with the rule that filtered it; nothing applied', async () => {
    const r = await receive({ id: 'filter-1', behavior: 'filter' })
    await settled(r.id)
    const tx = row(r.id)
    expect(tx.status).toBe('filtered')
    expect(tx.filtered_by).toBe('test-drop-rule')
    expect(steps(r.id).map((s) => [s.step, s.outcome, s.detail])).toEqual([
      ['parse', 'ok', null],
      ['filter', 'filtered', 'test-drop-rule: behaviour says filter'],
    ])
    expect(h.runs.filter((x) => x.messageId === 'filter-1')).toEqual([])
    expect(t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'test-msg', 'filter-1')).toBeNull()
  })

  it('a permanent error goes to error at once, grouped by cause', async () => {
    const a = await receive({ id: '1001', behavior: 'permanent' })
    const b = await receive({ id: '1022', behavior: 'permanent' })
    await settled(a.id)
    await settled(b.id)
    for (const id of [a.id, b.id]) {
      const tx = row(id)
      expect(tx.status).toBe('error')
      expect(tx.attempts).toBe(1)
      expect(tx.error_code).toBe('validation_error')
      expect(tx.error_retryable).toBe(0)
      expect(tx.triage_state).toBe('new')
      expect(steps(id).map((s) => [s.step, s.outcome])).toEqual([
        ['parse', 'ok'],
        ['filter', 'ok'],
        ['map', 'ok'],
        ['apply', 'error'],
      ])
    }
    expect(row(a.id).error_message).toBe('Message 1001 cannot be applied (test).')
    // Same cause, different ids → one group (a standing-alone number varies; error-group.ts).
    expect(row(a.id).error_group).toBe(errorGroupKey('validation_error', 'Message 1001 cannot be applied (test).'))
    expect(row(a.id).error_group).toBe(row(b.id).error_group)
    expect(row(a.id).error_group).toBe('validation_error|Message # cannot be applied (test).')
  })

  it('a retryable error is retried with backoff, then goes to error after maxAttempts', async () => {
    const r = await receive({ id: 'retry-1', behavior: 'retryable' })
    await settled(r.id, ['error'])
    const tx = row(r.id)
    expect(tx.attempts).toBe(3)
    expect(tx.error_code).toBe('remote_error')
    expect(tx.error_retryable).toBe(1)
    expect(tx.next_attempt_at).toBeNull()
    const retries = steps(r.id).filter((s) => s.step === 'retry')
    expect(retries.map((s) => [s.attempt, s.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
    ])
    expect(retries[0].detail).toMatch(/^attempt 1 of 3; next in \d+ ms$/)
    for (const s of retries) expect(Number(/next in (\d+) ms/.exec(s.detail!)![1])).toBeLessThanOrEqual(20) // full jitter under the cap
    const starts = h.runs.filter((x) => x.messageId === 'retry-1' && x.stage === 'apply-start')
    expect(starts.map((x) => x.attempt)).toEqual([1, 2, 3])
    expect(starts.map((x) => x.statusSeen)).toEqual(['received', 'queued', 'queued'])
    // Each retry ran no earlier than the time its backoff scheduled.
    for (const x of starts.slice(1)) {
      expect(x.scheduledAt).not.toBeNull()
      expect(x.at).toBeGreaterThanOrEqual(x.scheduledAt!)
    }
    expect(steps(r.id).filter((s) => s.step === 'apply').map((s) => s.attempt)).toEqual([1, 2, 3])
  })
})

describe('lanes', () => {
  it('keeps order within a (practice, connector) lane while another lane progresses independently', async () => {
    const a1 = await receive({ id: 'a1', behavior: 'gate' }, { practiceId: 'lane-a' })
    const a2 = await receive({ id: 'a2' }, { practiceId: 'lane-a' })
    const a3 = await receive({ id: 'a3' }, { practiceId: 'lane-a' })
    const b1 = await receive({ id: 'b1' }, { practiceId: 'lane-b' })
    const b2 = await receive({ id: 'b2' }, { practiceId: 'lane-b' })
    // Lane B finishes while lane A's head is stuck in apply.
    await settled(b2.id)
    expect(row(b1.id).status).toBe('done')
    await waitFor(() => h.runs.some((x) => x.messageId === 'a1' && x.stage === 'apply-start'), 'a1 to start')
    expect(row(a1.id).status).toBe('processing')
    expect(row(a2.id).status).toBe('received')
    expect(row(a3.id).status).toBe('received')
    expect(h.runs.some((x) => x.messageId === 'a2' || x.messageId === 'a3')).toBe(false)

    h.openGate('a1')
    await settled(a3.id)
    const laneA = h.runs.filter((x) => x.stage === 'apply-done' && ['a1', 'a2', 'a3'].includes(x.messageId)).map((x) => x.messageId)
    expect(laneA).toEqual(['a1', 'a2', 'a3'])
    expect([a1, a2, a3].map((r) => row(r.id).status)).toEqual(['done', 'done', 'done'])
  })

  it('a retrying head holds the rows behind it (no queue rotation)', async () => {
    const head = await receive({ id: 'head', behavior: 'retryable' }, { practiceId: 'lane-a' })
    const next = await receive({ id: 'next' }, { practiceId: 'lane-a' })
    await settled(next.id)
    expect(row(head.id).status).toBe('error')
    const order = h.runs.filter((x) => x.stage === 'apply-start').map((x) => `${x.messageId}#${x.attempt}`)
    expect(order).toEqual(['head#1', 'head#2', 'head#3', 'next#1'])
  })
})

describe('dedup', () => {
  it('a second receive with the same key returns the original row and its stored response', async () => {
    const first = await receive({ id: 'dup-a' }, { dedupKey: 'APP|FAC|MSG0001', response: 'ACK-ORIGINAL' })
    const again = await receive({ id: 'dup-b' }, { dedupKey: 'APP|FAC|MSG0001', response: 'ACK-SECOND' })
    expect(again).toEqual({ id: first.id, duplicate: true, response: 'ACK-ORIGINAL', status: expect.any(String) })
    await settled(first.id)
    const rows = t.engine.ctx.db.prepare("SELECT t.id, r.raw FROM transactions AS t JOIN transaction_raw AS r ON r.tx_id = t.id WHERE dedup_key = 'APP|FAC|MSG0001'").all() as { id: number; raw: Buffer }[]
    expect(rows).toHaveLength(1)
    expect(JSON.parse(rows[0].raw.toString()).id).toBe('dup-a')
    expect(h.runs.some((x) => x.messageId === 'dup-b')).toBe(false)
    // After processing, a duplicate still gets the original row (now done).
    expect(await receive({ id: 'dup-c' }, { dedupKey: 'APP|FAC|MSG0001' })).toMatchObject({ id: first.id, duplicate: true, status: 'done' })
    // The key is scoped to (practice, channel).
    const other = await receive({ id: 'dup-d' }, { dedupKey: 'APP|FAC|MSG0001', channel: 'other-channel' })
    expect(other.duplicate).toBe(false)
    expect(other.id).not.toBe(first.id)
  })
})

describe('operator actions', () => {
  it('reprocess: error → queued → done, audited', async () => {
    h.broken.add('fix-1')
    const r = await receive({ id: 'fix-1', behavior: 'broken-until-fixed' })
    await settled(r.id)
    expect(row(r.id).status).toBe('error')
    h.broken.delete('fix-1')

    const out = await t.call<{ queued: number[]; skipped: { id: number; reason: string }[] }>('transactions.reprocess', { ids: [r.id, 999_999] })
    expect(out.queued).toEqual([r.id])
    expect(out.skipped).toEqual([{ id: 999_999, reason: 'not found' }])
    await settled(r.id)
    expect(row(r.id).status).toBe('done')
    expect(row(r.id).attempts).toBe(2)
    expect(row(r.id).error_code).toBeNull()
    const second = h.runs.find((x) => x.messageId === 'fix-1' && x.attempt === 2 && x.stage === 'apply-start')!
    expect(second.statusSeen).toBe('queued')
    const audit = t.engine.ctx.audit.list({ action: 'transaction.reprocess' })
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor: ACTOR.actor, targetType: 'transaction', targetId: String(r.id), practiceId: 'sandbox', details: { from: 'error', payloadVersion: 0 } })
    // A pending row is not reprocessed twice.
    const gated = await receive({ id: 'gate-x', behavior: 'gate' })
    await waitFor(() => row(gated.id).status === 'processing', 'gate-x processing')
    const busy = await t.call<{ queued: number[]; skipped: { id: number; reason: string }[] }>('transactions.reprocess', { ids: [gated.id] })
    expect(busy).toEqual({ queued: [], skipped: [{ id: gated.id, reason: 'already processing' }] })
    h.openGate('gate-x')
    await settled(gated.id)
  })

  it('a reprocess that arrives while its lane is busy with a newer row is processed without a restart', async () => {
    h.broken.add('old-1')
    const old = await receive({ id: 'old-1', behavior: 'broken-until-fixed' })
    await settled(old.id)
    expect(row(old.id).status).toBe('error')
    h.broken.delete('old-1')
    // The lane moves past the failed row and is now busy with a newer one.
    const newer = await receive({ id: 'newer-1', behavior: 'gate' })
    await waitFor(() => row(newer.id).status === 'processing', 'newer-1 processing')
    const out = await t.call<{ queued: number[] }>('transactions.reprocess', { ids: [old.id] })
    expect(out.queued).toEqual([old.id])
    h.openGate('newer-1')
    await settled(newer.id)
    await settled(old.id)
    expect(row(old.id).status).toBe('done')
  })

  it('editAndReprocess keeps the original raw bytes and hash, stores version 1, audits without the payload', async () => {
    const original = msg({ id: 'edit-1', behavior: 'permanent', patient: { last_name: 'ORIGINALNAME77' } })
    const r = await t.engine.ctx.pipeline.receive({ practiceId: 'sandbox', connector: 'test', channel: 'c', direction: 'in', contentType: 'json', raw: original })
    await settled(r.id)
    expect(row(r.id).status).toBe('error')
    const edited = JSON.stringify({ id: 'edit-1', behavior: 'ok', patient: { last_name: 'EDITEDNAME99', mrn: 'MRN-E' } })

    const res = await t.call<{ id: number; payloadVersion: number }>('transactions.editAndReprocess', { id: r.id, raw: edited, reason: 'fix the behaviour flag' })
    expect(res).toEqual({ id: r.id, payloadVersion: 1 })
    await settled(r.id)
    const tx = row(r.id)
    expect(tx.status).toBe('done')
    expect(tx.raw.equals(original)).toBe(true)
    expect(tx.raw_sha256).toBe(sha(original))
    expect(tx.payload_version).toBe(1)
    expect(t.engine.ctx.txRepo.payloadVersions(r.id)).toEqual([{ version: 1, editedBy: ACTOR.actor, reason: 'fix the behaviour flag', createdAt: expect.any(Number), sha256: sha(edited) }])
    const run = h.runs.find((x) => x.messageId === 'edit-1' && x.attempt === 2 && x.stage === 'apply-done')!
    expect(run.payload).toBe(edited)
    expect(run.payloadVersion).toBe(1)
    expect(t.engine.ctx.records.findByExternalId('sandbox', 'patient', 'test-msg', 'edit-1')?.data).toMatchObject({ last_name: 'EDITEDNAME99' })

    const audit = t.engine.ctx.audit.list({ action: 'transaction.edit' })
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      actor: ACTOR.actor,
      targetId: String(r.id),
      details: { reason: 'fix the behaviour flag', payloadVersion: 1, previousSha256: sha(original), sha256: sha(edited), bytes: Buffer.byteLength(edited) },
    })
    const auditText = JSON.stringify(audit)
    expect(auditText).not.toContain('EDITEDNAME99')
    expect(auditText).not.toContain('ORIGINALNAME77')

    const detail = await t.call<{ payloadVersion: number; stages: string[]; rawSha256: string }>('transactions.get', { id: r.id })
    expect(detail.payloadVersion).toBe(1)
    expect(detail.rawSha256).toBe(sha(original))
    expect(detail.stages).toContain('current')
    expect((await t.call<{ text: string }>('transactions.payload', { id: r.id, stage: 'raw' })).text).toBe(original.toString())
    expect((await t.call<{ text: string }>('transactions.payload', { id: r.id, stage: 'current' })).text).toBe(edited)

    // A second edit is version 2; the original still stands.
    await t.call('transactions.editAndReprocess', { id: r.id, raw: edited.replace('EDITEDNAME99', 'EDITEDNAME100'), reason: 'again' })
    await settled(r.id)
    expect(t.engine.ctx.txRepo.payloadVersions(r.id).map((v) => v.version)).toEqual([1, 2])
    expect(row(r.id).raw_sha256).toBe(sha(original))
  })

  it('editing a transaction that is still pending is refused', async () => {
    const r = await receive({ id: 'busy', behavior: 'gate' })
    await waitFor(() => row(r.id).status === 'processing', 'busy processing')
    const res = await t.callRaw('transactions.editAndReprocess', { id: r.id, raw: '{}', reason: 'x' })
    expect(res.ok).toBe(false)
    expect(!res.ok && res.error.code).toBe('conflict')
    expect(t.engine.ctx.txRepo.payloadVersions(r.id)).toEqual([])
    h.openGate('busy')
    await settled(r.id)
  })

  it('discard with a reason, audited; a too-short reason is refused', async () => {
    const r = await receive({ id: 'disc-1', behavior: 'permanent' })
    await settled(r.id)
    const short = await t.callRaw('transactions.discard', { ids: [r.id], reason: 'no' })
    expect(!short.ok && short.error.code).toBe('invalid_input')
    expect(row(r.id).status).toBe('error')

    const out = await t.call<{ discarded: number[] }>('transactions.discard', { ids: [r.id], reason: 'test feed, not real' })
    expect(out.discarded).toEqual([r.id])
    expect(row(r.id).status).toBe('discarded')
    expect(row(r.id).discard_reason).toBe('test feed, not real')
    const audit = t.engine.ctx.audit.list({ action: 'transaction.discard' })
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor: ACTOR.actor, targetId: String(r.id), details: { reason: 'test feed, not real', from: 'error' } })
  })

  it('preview runs parse / filter / map on an edit without changing the row, its steps or applying anything', async () => {
    const r = await receive({ id: 'prev-1', behavior: 'permanent' })
    await settled(r.id)
    const snapshot = { row: { ...row(r.id) }, steps: steps(r.id), versions: t.engine.ctx.txRepo.payloadVersions(r.id), records: t.engine.ctx.records.counts('sandbox'), audit: t.engine.ctx.audit.list().length }
    const runsBefore = h.runs.length

    const p = await t.engine.ctx.pipeline.preview(r.id, msg({ id: 'prev-1', behavior: 'ok' }))
    expect(p.error).toBeNull()
    expect(p.filteredBy).toBeNull()
    expect(p.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['parse', 'ok'],
      ['filter', 'ok'],
      ['map', 'ok'],
    ])
    expect(p.parsed).toEqual({ id: 'prev-1', behavior: 'ok' })
    expect(p.mapped).toEqual({ id: 'prev-1' })
    expect(p.keys).toMatchObject({ controlId: 'prev-1' })
    const f = await t.engine.ctx.pipeline.preview(r.id, msg({ id: 'prev-1', behavior: 'filter' }))
    expect(f.filteredBy).toBe('test-drop-rule')
    const bad = await t.engine.ctx.pipeline.preview(r.id, Buffer.from('not json'))
    expect(bad.error?.code).toBe('parse_error')

    expect({ ...row(r.id) }).toEqual(snapshot.row)
    expect(steps(r.id)).toEqual(snapshot.steps)
    expect(t.engine.ctx.txRepo.payloadVersions(r.id)).toEqual(snapshot.versions)
    expect(t.engine.ctx.records.counts('sandbox')).toEqual(snapshot.records)
    expect(t.engine.ctx.audit.list().length).toBe(snapshot.audit)
    expect(h.runs.length).toBe(runsBefore) // apply never ran
  })
})

describe('group commit', () => {
  it('many concurrent receives share commits, and each resolves only once its row is durable', async () => {
    const other: Db = await openSecondConnection(t)
    try {
      const stats = t.engine.ctx.batcher.stats
      const before = { batches: stats.batches, writes: stats.writes }
      const N = 300
      const visibleAtResolve: boolean[] = []
      const all = Array.from({ length: N }, (_, i) =>
        receive({ id: `gc-${i}` }, { dedupKey: `gc-${i}` }).then((r) => {
          // Another connection sees only committed data: the row must already be there.
          visibleAtResolve[i] = !!other.prepare('SELECT 1 FROM transactions WHERE id = ?').get(r.id)
          return r
        }),
      )
      const results = await Promise.all(all)
      expect(new Set(results.map((r) => r.id)).size).toBe(N)
      expect(visibleAtResolve.filter(Boolean)).toHaveLength(N)
      const writes = stats.writes - before.writes
      const batches = stats.batches - before.batches
      expect(writes).toBeGreaterThanOrEqual(N)
      expect(batches).toBeLessThan(writes)
      expect(stats.maxBatch).toBeGreaterThan(1)
      await waitFor(() => results.every((r) => row(r.id).status === 'done'), 'all group-commit rows done', 60_000)
    } finally {
      other.close()
    }
  })

  it('a failing write rejects only its own caller; the rest of the batch commits', async () => {
    const { batcher, db } = t.engine.ctx
    const ok1 = batcher.run(() => db.prepare("INSERT INTO settings (key, value) VALUES ('gc-ok-1', 'v')").run())
    const bad = batcher.run(() => db.prepare("INSERT INTO settings (key, value) VALUES ('gc-ok-1', 'dup')").run())
    const ok2 = batcher.run(() => db.prepare("INSERT INTO settings (key, value) VALUES ('gc-ok-2', 'v')").run())
    await expect(ok1).resolves.toBeDefined()
    await expect(bad).rejects.toThrow(/UNIQUE/)
    await expect(ok2).resolves.toBeDefined()
    expect(db.prepare("SELECT key, value FROM settings WHERE key LIKE 'gc-ok-%' ORDER BY key").all()).toEqual([
      { key: 'gc-ok-1', value: 'v' },
      { key: 'gc-ok-2', value: 'v' },
    ])
  })
})

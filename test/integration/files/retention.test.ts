/**
 * Retention applies to the `files` connector like to the others: a file's raw bytes go first (its
 * report stays readable), then the whole transaction with its row ledger and pickup entry; the
 * run history and entries of refused files go after `logsDays`. Newer files and the patients the
 * files created are untouched. Ages are made by moving the stored timestamps back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvFile, openFilesEngine, patientRow, PRACTICE, type FilesTestEngine } from './support'

const DAY = 86_400_000

describe('retention of file runs and their files', () => {
  let t: FilesTestEngine
  let dir: string
  let job: string
  const count = (sql: string, ...args: unknown[]) => (t.engine.ctx.db.prepare(sql).get(...args) as { n: number }).n

  beforeAll(async () => {
    t = await openFilesEngine()
    dir = mkdtempSync(join(tmpdir(), 'ps-files-retention-'))
    mkdirSync(join(dir, 'in'))
    const conn = await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'folder', name: 'drop', config: { path: dir } })
    job = (await t.addJob(conn.id, { folder: 'in', stableCheckMs: 0, maxFileBytes: 2000 })).id
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const setRetention = async (files: Record<string, number | null>) => {
    const p = t.engine.ctx.practices.get(PRACTICE)
    await t.call('practices.update', { id: PRACTICE, name: p.name, settings: { ...p.settings, retention: { connectors: { files } } } })
  }

  it('prunes an old file raw first, then with its rows and pickup; old runs and refused-file entries after logsDays; newer files stay', async () => {
    // An old day: a two-row file imported, and a file refused for its size (never stored).
    writeFileSync(join(dir, 'in', 'old.csv'), csvFile([patientRow(1), patientRow(2)]))
    writeFileSync(join(dir, 'in', 'huge.csv'), csvFile(Array.from({ length: 40 }, (_, i) => patientRow(100 + i))))
    await t.run(job)
    const old = (await t.call<{ name: string; txId: number | null; status: string }[]>('files.list', { practiceId: PRACTICE })).find((f) => f.name === 'old.csv')!
    expect(count('SELECT count(*) AS n FROM file_pickups WHERE tx_id IS NULL')).toBe(1)
    const db = t.engine.ctx.db
    db.prepare('UPDATE transactions SET received_at = received_at - ? WHERE connector = ?').run(40 * DAY, 'files')
    db.prepare('UPDATE file_job_runs SET started_at = started_at - ?, finished_at = finished_at - ?').run(40 * DAY, 40 * DAY)
    db.prepare('UPDATE file_pickups SET created_at = created_at - ?, updated_at = updated_at - ?').run(40 * DAY, 40 * DAY)
    // Today's file.
    writeFileSync(join(dir, 'in', 'new.csv'), csvFile([patientRow(3)]))
    await t.run(job)
    const fresh = (await t.call<{ name: string; txId: number }[]>('files.list', { practiceId: PRACTICE })).find((f) => f.name === 'new.csv')!

    // Raw bytes after 10 days: the old file's bytes go, its report stays.
    await setRetention({ rawPayloadDays: 10 })
    expect(await t.call('retention.pruneNow')).toMatchObject({ payloadsPruned: 1, transactionsDeleted: 0, logsDeleted: 0 })
    expect(count('SELECT count(*) AS n FROM transactions WHERE id = ? AND raw_pruned_at IS NOT NULL', old.txId)).toBe(1)
    const report = await t.call<{ counts: { created: number }; rows: unknown[] }>('files.report', { practiceId: PRACTICE, txId: old.txId })
    expect(report.counts.created).toBe(2)
    expect(report.rows).toHaveLength(2)

    // Transactions and logs after 30 days: the old file's transaction, rows and pickup, the old run and the refused entry go.
    await setRetention({ rawPayloadDays: 10, transactionsDays: 30, logsDays: 30 })
    const run = await t.call<{ transactionsDeleted: number; logsDeleted: number }>('retention.pruneNow')
    expect(run.transactionsDeleted).toBe(1)
    expect(run.logsDeleted).toBe(2) // the old run and the refused file's entry
    expect(count('SELECT count(*) AS n FROM transactions WHERE id = ?', old.txId)).toBe(0)
    expect(count('SELECT count(*) AS n FROM file_rows WHERE tx_id = ?', old.txId)).toBe(0)
    expect(count('SELECT count(*) AS n FROM file_pickups WHERE tx_id = ? OR tx_id IS NULL', old.txId)).toBe(0)
    expect((await t.call<{ name: string }[]>('files.list', { practiceId: PRACTICE })).map((f) => f.name)).toEqual(['new.csv'])
    expect(await t.call<unknown[]>('files.jobs.runs', { id: job, practiceId: PRACTICE })).toHaveLength(1)
    // Today's file is whole; the patients the old file created are records, not file data: they stay.
    expect(count('SELECT count(*) AS n FROM file_rows WHERE tx_id = ?', fresh.txId)).toBe(1)
    expect(count('SELECT count(*) AS n FROM transactions WHERE id = ? AND raw_pruned_at IS NULL', fresh.txId)).toBe(1)
    expect(t.engine.ctx.records.findByExternalId(PRACTICE, 'patient', `file:${job}`, 'P000001')).not.toBeNull()
    expect(t.engine.ctx.audit.list({ action: 'retention.prune' }).length).toBe(2)
  })
})

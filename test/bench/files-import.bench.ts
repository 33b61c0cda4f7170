/**
 * The daily demographics import of a 100,000-row (default) CSV through the real engine (folder location,
 * pickup, file transaction, pipeline lane: read, map and validate, match, reconcile, store with the
 * row ledger), next to a bare csv-parse pass over the same bytes in the same run. Then the same
 * people sent again with a new e-mail each: every row matched by its id and reconciled against the
 * stored patient (the daily-update path).
 *
 *   npx tsx test/bench/files-import.bench.ts [rows]
 *
 * Issue #12's goal for 100,000 rows is ≤ 5 s and ≤ 4× the bare parse; the figures say how far off.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { filesModule, filesRuntime } from '../../electron/engine/connectors/files'
import { openEngine } from '../../electron/engine/core/engine'
import { createLogger } from '../../electron/engine/core/logger'
import { createFileStore } from '../../electron/engine/secrets/file-store'
import { csvFile, patientRow } from '../integration/files/support'

const ROWS = Number(process.argv[2] ?? 100_000)

/** Wall ms and process CPU ms (every thread: the db worker too) of the best of n runs. */
function bestOf(n: number, fn: () => void): { ms: number; cpu: number } {
  let best = { ms: Infinity, cpu: Infinity }
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage()
    const t = performance.now()
    fn()
    const ms = performance.now() - t
    if (ms < best.ms) best = { ms, cpu: cpuMs(c) }
  }
  return best
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since)
  return (c.user + c.system) / 1000
}

/**
 * Birth dates spread over a century, as a practice's patients' are (~2.7 people a date at 100,000).
 * patientRow's own dates repeat every 420 rows (fine for the tests' few thousand rows): at 100,000
 * every date would be shared by 238 people, and the matcher compares a new row with its whole DOB
 * block, so the figure would measure that artefact (0.73 instead of ~0.4 CPU-s per 1,000 new rows).
 */
function birthDate(i: number): string {
  const d = new Date(Date.UTC(1925, 0, 1) + ((i * 7919) % 36_524) * 86_400_000)
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${d.getUTCFullYear()}`
}

/**
 * The floor: only the writes an imported new patient makes (its record, external id, record change,
 * the source's last-sent values and the row-ledger entry), with the same schema, encryption, chunks
 * and checkpoints, the data strings taken from the import, no reading, mapping or matching.
 */
async function storeFloor(sample: { data: string; sent: string }): Promise<{ ms: number; cpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-files-floor-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.alloc(32, 9), location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: createLogger({ level: 'error', sinks: [] }), mode: 'headless', version: 'bench', operator: 'bench' }, [])
  await engine.start()
  try {
    const db = engine.ctx.db
    const s = {
      record: db.prepare(`INSERT INTO records (practice_id, kind, patient_ref, key1, key2, key3, data, version, created_at, updated_at) VALUES ('sandbox', 'patient', NULL, NULL, ?, ?, ?, 1, ?, ?)`),
      extId: db.prepare(`INSERT INTO external_ids (practice_id, kind, system, value, record_id) VALUES ('sandbox', 'patient', 'file:bench', ?, ?)`),
      change: db.prepare(`INSERT INTO record_changes (practice_id, tx_id, record_id, kind, op, before, after, at) VALUES ('sandbox', 1, ?, 'patient', 'create', NULL, ?, ?)`),
      sent: db.prepare(`INSERT INTO patient_source_values (practice_id, record_id, source, data, tx_id, line, at) VALUES ('sandbox', ?, 'file:bench', ?, 1, ?, ?)`),
      ledger: db.prepare(`INSERT INTO file_rows (tx_id, line, outcome, record_id, ext_id, detail) VALUES (1, ?, 'created', ?, ?, NULL)`),
    }
    const c = process.cpuUsage()
    const t = performance.now()
    for (let i = 0; i < ROWS; i += 1000) {
      db.transaction(() => {
        for (let j = i; j < Math.min(ROWS, i + 1000); j++) {
          const now = Date.now()
          const id = Number(s.record.run(`last${j}`, birthDate(j), sample.data, now, now).lastInsertRowid)
          s.extId.run(`P${j}`, id)
          s.change.run(id, sample.data, now)
          s.sent.run(id, sample.sent, j + 2, now)
          s.ledger.run(j + 2, id, `P${j}`)
        }
      }).immediate()
      if ((i / 1000) % 8 === 7) db.pragma('wal_checkpoint(PASSIVE)')
    }
    return { ms: performance.now() - t, cpu: cpuMs(c) }
  } finally {
    await engine.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-files-bench-'))
  const folder = join(dir, 'drop')
  mkdirSync(folder)
  const first = Buffer.from(csvFile(Array.from({ length: ROWS }, (_, i) => patientRow(i + 1, { dob: birthDate(i + 1) }))))
  const again = Buffer.from(csvFile(Array.from({ length: ROWS }, (_, i) => patientRow(i + 1, { dob: birthDate(i + 1), email: `moved${i + 1}@example.org` }))))

  // Baseline: csv-parse alone, records keyed by header, as the import reads them.
  const base = bestOf(3, () => parse(first, { columns: true, bom: true, skip_empty_lines: true }))
  const parseMs = base.ms

  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.alloc(32, 9), location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: createLogger({ level: 'error', sinks: [] }), mode: 'headless', version: 'bench', operator: 'bench' }, [filesModule()])
  await engine.start()
  const ctx = engine.ctx
  const rt = filesRuntime(ctx)
  try {
    const conn = ctx.connections.create('sandbox', { kind: 'folder', name: 'drop', enabled: true, config: { path: folder } as never }, 'bench')
    const job = rt.jobs.create('sandbox', { name: 'bench', enabled: true, config: { connectionId: conn.id, direction: 'inbound', kind: 'demographics', folder: '', stableCheckMs: 0, minAgeSeconds: 0 } as never }, 'bench')
    const outcomes = ctx.db.prepare('SELECT outcome, count(*) AS n FROM file_rows WHERE tx_id = (SELECT max(tx_id) FROM file_rows) GROUP BY outcome ORDER BY outcome')
    const importFile = async (name: string, bytes: Buffer): Promise<{ ms: number; cpu: number; outcomes: string }> => {
      writeFileSync(join(folder, name), bytes)
      const c = process.cpuUsage()
      const t = performance.now()
      await rt.runner.run(job.id, 'manual', 'bench')
      await ctx.pipeline.idle(30 * 60_000)
      const ms = performance.now() - t
      return { ms, cpu: cpuMs(c), outcomes: (outcomes.all() as { outcome: string; n: number }[]).map((r) => `${r.n} ${r.outcome}`).join(', ') }
    }
    const a = await importFile('patients-1.csv', first)
    const sample = ctx.db.prepare('SELECT r.data, v.data AS sent FROM records r JOIN patient_source_values v ON v.record_id = r.id LIMIT 1').get() as { data: string; sent: string }
    const b = await importFile('patients-2.csv', again)
    // CPU time is the figure to compare across runs: the machine is shared, so wall time varies with its load.
    const figures = (r: { ms: number; cpu: number }): string =>
      `${(r.ms / 1000).toFixed(2)} s wall = ${(ROWS / (r.ms / 1000)).toFixed(0)} rows/s, ${(r.ms / parseMs).toFixed(1)}× the bare parse; CPU ${(r.cpu / 1000).toFixed(2)} s = ${(r.cpu / (ROWS / 1000) / 1000).toFixed(3)} CPU-s per 1,000 rows, ${(r.cpu / base.cpu).toFixed(1)}× the parse's CPU`
    console.log(`bare csv-parse (baseline, best of 3): ${ROWS} rows, ${figures(base)}`)
    console.log(`import, new patients:      ${ROWS} rows, ${figures(a)} (${a.outcomes})`)
    console.log(`import, updates (reconcile against ${ROWS} stored): ${figures(b)} (${b.outcomes})`)
    await engine.stop()
    const floor = await storeFloor(sample)
    console.log(`floor, the writes alone (5 inserts a new row, no logic): ${figures(floor)}`)
  } finally {
    await engine.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openChildDb } from '../../support/engine-child'

const CHILD = resolve('test/fixtures/files/batch-child.ts')
const ROWS = 20_000
const KEY = '3c'.repeat(32)

function start(dir: string, rows?: number): Promise<{ kill(): Promise<void>; stop(): Promise<void> }> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, KEY, ...(rows ? [String(rows)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })
    const err: string[] = []
    const exited = new Promise<void>((r) => proc.once('exit', () => r()))
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => err.push(d))
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('READY')) res({ kill: async () => void (proc.kill('SIGKILL'), await exited), stop: async () => void (proc.kill('SIGTERM'), await exited) })
    })
    void exited.then(() => rej(new Error(`child exited: ${err.join('')}`)))
  })
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 120_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('kill -9 in the middle of a nightly import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-batch-kill9-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('resumes after the last committed chunk and applies every row exactly once', async () => {
    const run = async (): Promise<{ rows_done: number; total_rows: number; status: string } | undefined> => {
      const db = await openChildDb(dir, KEY)
      try {
        const has = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'appt_batch_runs'").get()
        return has ? (db.prepare('SELECT rows_done, total_rows, status FROM appt_batch_runs ORDER BY id LIMIT 1').get() as { rows_done: number; total_rows: number; status: string } | undefined) : undefined
      } finally {
        db.close()
      }
    }
    const first = await start(dir, ROWS)
    const mid = await until(run, (r) => !!r && r.rows_done > 0 && r.rows_done < ROWS, 180_000)
    await first.kill()
    const atKill = (await run())!
    expect(atKill.status).toBe('running')
    expect(atKill.rows_done).toBeGreaterThanOrEqual(mid!.rows_done)
    expect(atKill.rows_done).toBeLessThan(ROWS)

    const second = await start(dir)
    const done = await until(run, (r) => r?.status === 'done', 300_000)
    await second.stop()
    expect(done!.rows_done).toBe(ROWS)
    const db = await openChildDb(dir, KEY)
    try {
      expect(db.prepare("SELECT count(*) AS n FROM records WHERE kind = 'appointment'").get()).toEqual({ n: ROWS })
      // One create per appointment and nothing else: no row was applied twice.
      expect(db.prepare("SELECT count(*) AS n, count(DISTINCT record_id) AS d FROM record_changes WHERE kind = 'appointment'").get()).toEqual({ n: ROWS, d: ROWS })
      expect(db.prepare("SELECT count(*) AS n FROM record_changes WHERE kind = 'appointment' AND op <> 'create'").get()).toEqual({ n: 0 })
      const counts = JSON.parse((db.prepare('SELECT counts FROM appt_batch_runs').get() as { counts: string }).counts) as Record<string, number>
      expect(counts).toEqual({ created: ROWS })
      expect(db.prepare("SELECT status FROM transactions WHERE connector = 'appointment-batch'").all()).toEqual([{ status: 'done' }])
    } finally {
      db.close()
    }
  }, 600_000)
})

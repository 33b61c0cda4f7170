/**
 * A 50,000-row demographics file, the engine SIGKILLed in the middle of applying it, restarted:
 * every row is applied exactly once (one patient per row, one ledger entry per line, one create
 * per patient in the change log), and the file is in processed/.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openChildDb } from '../../support/engine-child'
import { csvFile, patientRow } from './support'

const CHILD = resolve('test/fixtures/files/engine-child.ts')
const KEY = '7c'.repeat(32)
const ROWS = 50_000

function start(dataDir: string, folder: string, onLedger: (n: number) => void): { proc: ChildProcess; idle: Promise<void>; exited: Promise<void>; stderr: string[] } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, KEY, folder], { stdio: ['ignore', 'pipe', 'pipe'] })
  const stderr: string[] = []
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d))
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  const idle = new Promise<void>((res, rej) => {
    let buf = ''
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const l of lines) {
        if (l.startsWith('LEDGER ')) onLedger(Number(l.slice(7)))
        if (l === 'IDLE') res()
      }
    })
    void exited.then(() => rej(new Error(`engine child exited: ${stderr.join('').slice(-2000)}`)))
  })
  idle.catch(() => undefined)
  return { proc, idle, exited, stderr }
}

describe('kill -9 in the middle of a 50,000-row import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-files-kill9-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('applies every row exactly once after the restart', { timeout: 900_000 }, async () => {
    const dataDir = join(dir, 'data')
    const folder = join(dir, 'drop')
    mkdirSync(dataDir)
    mkdirSync(folder)
    writeFileSync(join(folder, 'big.csv'), csvFile(Array.from({ length: ROWS }, (_, i) => patientRow(i + 1))))

    let killedAt = -1
    const first = start(dataDir, folder, (n) => {
      if (killedAt < 0 && n >= 8_000) {
        killedAt = n
        first.proc.kill('SIGKILL')
      }
    })
    await first.exited
    expect(killedAt).toBeGreaterThanOrEqual(8_000)
    expect(killedAt).toBeLessThan(ROWS)

    let last = 0
    const second = start(dataDir, folder, (n) => (last = n))
    await second.idle
    expect(last).toBe(ROWS)
    second.proc.kill('SIGTERM')
    await second.exited

    const db = await openChildDb(dataDir, KEY)
    try {
      expect(db.prepare('SELECT count(*) AS n, count(DISTINCT line) AS lines FROM file_rows').get()).toEqual({ n: ROWS, lines: ROWS })
      expect(db.prepare("SELECT count(*) AS n FROM file_rows WHERE outcome = 'created'").get()).toEqual({ n: ROWS })
      expect(db.prepare("SELECT count(*) AS n FROM records WHERE kind = 'patient'").get()).toEqual({ n: ROWS })
      expect(db.prepare("SELECT count(*) AS n, count(DISTINCT value) AS v FROM external_ids WHERE system LIKE 'file:%'").get()).toEqual({ n: ROWS, v: ROWS })
      expect(db.prepare("SELECT count(*) AS n FROM record_changes WHERE op = 'create'").get()).toEqual({ n: ROWS })
      expect(db.prepare("SELECT count(*) AS n FROM transactions WHERE connector = 'files'").get()).toEqual({ n: 1 })
      expect(db.prepare("SELECT status FROM transactions WHERE connector = 'files'").get()).toEqual({ status: 'done' })
    } finally {
      db.close()
    }
    expect(readdirSync(folder).sort()).toEqual(['error', 'processed', 'processing'])
    expect(readdirSync(join(folder, 'processed'))).toHaveLength(1)
  })
})

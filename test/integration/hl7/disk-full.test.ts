/**
 * TST-F3 / MLLP-04 on a really full disk: the built server (`serve.js`) keeps its data folder on a
 * small tmpfs that the test mounts (test/support/full-disk.ts: root or CAP_SYS_ADMIN, as CI has;
 * without it the test fails, it does not skip), and the test fills that file system mid-run while
 * a peer sends. Asserts:
 *   - no AA for a message that was not stored: a refused message gets AE with the storage error
 *     (or no answer at all), and the server stays up;
 *   - the console says so: system.status reports the storage as full (every page shows it), and
 *     once space is back a notification tells how long and how many messages were refused;
 *   - after space is freed, with nothing repaired by hand, the same messages are accepted, the
 *     status clears, and after a restart every AA'd message is stored exactly once and the
 *     database passes integrity_check.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAck } from '../../../electron/engine/connectors/hl7'
import { openChildDb } from '../../support/engine-child'
import { mountSmallDisk, type SmallDisk } from '../../support/full-disk'
import { startServe, type ServeProcess } from '../../support/serve-process'
import { requireBuiltServer } from '../foundation/support/serve'
import { adtMsg, MllpTestClient, until } from './support'

const CONFIG = resolve('docs/examples/sandbox-hl7.json')
const SIZE_MB = 48

let disk: SmallDisk | null = null
let keyDir = ''
let dataDir = ''
let keyHex = ''
let s: ServeProcess | null = null

// ~24 KB a message, so a few hundred fill whatever room SQLite's files still have.
const big = (id: string): string => adtMsg({ control: id, mrn: `DF-${id}`, extra: [`ZNT|1|${'NOTE-' + id + '-'.repeat(24_000)}`] })

async function start(): Promise<ServeProcess> {
  return startServe({ dataDir, args: ['--config', CONFIG, '--secret-store', 'file', '--master-key-file', join(keyDir, 'master.key')] })
}

const port = (p: ServeProcess): number => p.listeners.find((l) => l.kind === 'hl7-mllp')!.port

beforeAll(async () => {
  requireBuiltServer()
  disk = mountSmallDisk(SIZE_MB)
  keyDir = mkdtempSync(join(tmpdir(), 'hl7-diskfull-key-'))
  keyHex = randomBytes(32).toString('hex')
  writeFileSync(join(keyDir, 'master.key'), keyHex + '\n', { mode: 0o600 })
  dataDir = join(disk.dir, 'data')
  mkdirSync(dataDir, { mode: 0o700 })
  s = await start()
})

afterAll(async () => {
  await s?.stop()
  disk?.unmount()
  if (keyDir) rmSync(keyDir, { recursive: true, force: true })
})

describe('a full disk (tmpfs filled mid-run)', () => {
  it('refuses what it cannot store, says so, and recovers by itself once space is freed', async () => {
    const settings = { phoneCountry: 'US', unknownPatientRule: 'create' }
    const counts = async (): Promise<Record<string, number>> => {
      const r = await s!.call<Record<string, number>>('transactions.counts', { practiceId: 'sandbox' })
      if (!r.ok) throw new Error(r.error.message)
      return r.value
    }
    // A backlog for the lane to meet the full disk with: accepted while processing is paused,
    // moved into transactions, and let go just before the disk fills.
    expect((await s!.call('practices.update', { id: 'sandbox', settings: { ...settings, hl7ProcessingPaused: true } })).ok).toBe(true)
    const acked = new Set<string>()
    let c = await MllpTestClient.connect(port(s!))
    for (let i = 0; i < 40; i++) {
      const ack = await c.sendAck(big(`OK${i}`))
      expect(ack).toMatchObject({ code: 'AA', controlId: `OK${i}` })
      acked.add(`OK${i}`)
    }
    await until(async () => ((await counts()).received === 40 ? true : undefined), 'the backlog moved into transactions')
    expect((await s!.call('practices.update', { id: 'sandbox', settings: { ...settings, hl7ProcessingPaused: false } })).ok).toBe(true)

    const filler = disk!.fill()
    const refused: string[] = []
    const answers: Record<string, number> = {}
    // The answers since the last AA: a message stored ends the full-disk episode (SQLite can find
    // room in its own WAL again after a checkpoint), and the console counts the next one afresh.
    let streak: string[] = []
    const order: string[] = []
    for (let i = 0; i < 1500 && streak.length < 5; i++) {
      const id = `F${i}`
      let reply: Buffer | null = null
      try {
        reply = await c.send(big(id))
      } catch {
        reply = null // closed without an answer: also not an AA
      }
      if (reply === null) {
        refused.push(id)
        streak.push('closed')
        order.push('closed')
        answers['(closed)'] = (answers['(closed)'] ?? 0) + 1
        c = await MllpTestClient.connect(port(s!))
        continue
      }
      const ack = parseAck(reply)
      expect(ack.controlId).toBe(id)
      answers[ack.code] = (answers[ack.code] ?? 0) + 1
      order.push(ack.code)
      if (ack.code === 'AA') {
        acked.add(id)
        streak = []
      } else {
        expect(ack.code).toBe('AE')
        expect(ack.text).toMatch(/stor|disk/i)
        refused.push(id)
        streak.push('AE')
      }
    }
    expect(refused.length, `no refusal in ${JSON.stringify(answers)}: the disk never filled`).toBeGreaterThanOrEqual(5)
    expect(s!.child.exitCode).toBeNull()

    // The console says so: the status every page's banner reads.
    const status = await s!.call<{ storage: { state: string; detail: string; refused: number; lastFailure?: { where: string } } }>('system.status')
    expect(status.ok).toBe(true)
    const full = status.ok ? status.value.storage : null
    expect(full).toMatchObject({ state: 'full', lastFailure: { where: 'ingest' } })
    // Every AE since the last AA was a store that failed for lack of space, each counted.
    expect(full!.refused, `answers after the disk filled: ${order.slice(-40).join(' ')}`).toBeGreaterThanOrEqual(streak.filter((a) => a === 'AE').length)
    expect(full!.detail).toMatch(/received messages? refused so far/)

    // Stay full a while: the lane processing the backlog, the move into transactions and the
    // checkpoints meet the full disk too. How much of the backlog is done by now is timing, not
    // behaviour (SQLite reuses the WAL's own space, so a fast lane may finish before the disk
    // refuses it; it did twice under load): it is printed, and what must hold is checked below.
    await new Promise((r) => setTimeout(r, 3000))
    expect(s!.child.exitCode).toBeNull()
    console.log(`disk-full: ${(await counts()).done ?? 0} of the 40-message backlog done while the disk was full`)

    // Space comes back and nobody sends anything: the engine notices by itself, and the backlog
    // is processed without a new message to wake it.
    unlinkSync(filler)
    await until(async () => {
      const r = await s!.call<{ storage: { state: string } }>('system.status')
      return r.ok && r.value.storage.state !== 'full' ? true : undefined
    }, 'the status clears once space is free')
    await until(async () => ((await counts()).done === acked.size ? true : undefined), 'the backlog processed with no new message')

    // The refused messages, sent again, are accepted.
    for (const id of refused) {
      const ack = await until(async () => {
        try {
          const a = parseAck(await c.send(big(id)))
          return a.code === 'AA' ? a : undefined
        } catch {
          c = await MllpTestClient.connect(port(s!))
          return undefined
        }
      }, `${id} accepted once space is free`)
      expect(ack.controlId).toBe(id)
      acked.add(id)
    }
    c.close()
    const after = await s!.call<{ storage: { state: string } }>('system.status')
    expect(after.ok && after.value.storage.state).not.toBe('full')
    // The episode is on record once it can be stored.
    const notes = await s!.call<{ items: { title: string; message: string; practiceId: string | null }[] }>('alerts.notifications', { limit: 20 })
    const over = notes.ok ? notes.value.items.find((n) => n.title === 'Disk space: storing again') : undefined
    expect(over, JSON.stringify(notes)).toBeDefined()
    expect(over!.practiceId).toBeNull()
    expect(over!.message).toMatch(new RegExp(`${full!.refused} received messages were refused`))

    // Everything accepted is processed in the end, with nothing repaired by hand.
    await until(async () => {
      const r = await s!.call<Record<string, number>>('transactions.counts', { practiceId: 'sandbox' })
      return r.ok && (r.value.done ?? 0) === acked.size && Object.keys(r.value).every((k) => k === 'done' || !r.value[k]) ? true : undefined
    }, 'every accepted message processed')

    await s!.stop()
    s = await start()
    await s.stop()
    s = null
    const db = await openChildDb(dataDir, keyHex)
    try {
      const rows = db.prepare("SELECT control_id, count(*) AS n FROM transactions WHERE channel = 'adt-in' GROUP BY control_id").all() as { control_id: string; n: number }[]
      const stored = new Map(rows.map((r) => [r.control_id, r.n]))
      for (const id of acked) expect(stored.get(id), `${id} was ACKed`).toBe(1)
      expect([...stored.values()].every((n) => n === 1)).toBe(true)
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  })
})

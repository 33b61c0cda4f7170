/**
 * Kill -9 of the engine while peers stream (TST-F1 at the HL7 layer, MLLP-03/-05): a real child
 * process runs the engine with its MLLP listener; several MLLP connections stream ADT messages,
 * each sending the next only after the ACK of the previous, and record which got an ACK. The child
 * is SIGKILLed at a seeded random moment mid-stream and restarted, several times. After each
 * restart: every ACKed control id is stored exactly once; re-sending everything (ACKed or not)
 * creates no duplicate, and an ACKed message's re-send gets its original ACK byte for byte.
 * Finally every stored message is processed. HL7_KILL_SEED / HL7_KILL_ROUNDS override the seed
 * and the number of kills (default 4).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAck } from '../../../electron/engine/connectors/hl7'
import { adtMsg, MllpTestClient, until } from './support'
import { openChildDb as dbOf, startEngineChild as startChild } from '../../support/engine-child'
import { mulberry32 } from '../../support/prng'

const SEED = Number(process.env.HL7_KILL_SEED ?? 20261126)
const ROUNDS = Number(process.env.HL7_KILL_ROUNDS ?? 4)
const STREAMS = 4
const PER_STREAM = 150

const prng = mulberry32

const control = (s: number, n: number): string => `K${s}-${n}`

/**
 * Streams messages on STREAMS connections until each has sent PER_STREAM or the connection dies.
 * Records every ACK (control id → ACK bytes). Calls `onAck` after each.
 */
async function stream(port: number, acks: Map<string, Buffer>, onAck: () => void): Promise<void> {
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, s) => {
      let c: MllpTestClient
      try {
        c = await MllpTestClient.connect(port)
      } catch {
        return
      }
      for (let n = 0; n < PER_STREAM; n++) {
        const id = control(s, n)
        if (acks.has(id)) continue
        let reply: Buffer
        try {
          reply = await c.send(adtMsg({ control: id, mrn: `KM${s}-${n % 20}` }))
        } catch {
          return // the engine died: this message may or may not be stored
        }
        if (parseAck(reply).controlId !== id) throw new Error(`ACK for the wrong message: ${id}`)
        acks.set(id, reply)
        onAck()
      }
      c.close()
    }),
  )
}

describe('kill -9 while peers stream', () => {
  it('every ACKed message is stored exactly once after restarts; resends create no duplicates', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hl7-kill9-'))
    const keyHex = randomBytes(32).toString('hex')
    const rand = prng(SEED)
    const acks = new Map<string, Buffer>()
    let child = await startChild(dataDir, keyHex)
    const total = STREAMS * PER_STREAM
    const killsDone: number[] = []

    for (let round = 0; round < ROUNDS; round++) {
      const ackedBefore = acks.size
      const killAt = ackedBefore + 20 + Math.floor(rand() * ((total - ackedBefore) / (ROUNDS - round + 1)))
      let killed = false
      const current = child
      await stream(current.port, acks, () => {
        if (!killed && acks.size >= killAt) {
          killed = true
          current.proc.kill('SIGKILL')
        }
      })
      await current.exited
      killsDone.push(acks.size)
      child = await startChild(dataDir, keyHex)

      // Everything acknowledged so far is stored, once.
      const db = await dbOf(dataDir, keyHex)
      try {
        const rows = db.prepare("SELECT control_id, count(*) AS n FROM transactions WHERE channel = 'kill-in' GROUP BY control_id").all() as { control_id: string; n: number }[]
        const stored = new Map(rows.map((r) => [r.control_id, r.n]))
        for (const id of acks.keys()) expect(stored.get(id), `${id} was ACKed before the kill`).toBe(1)
        expect([...stored.values()].every((n) => n === 1)).toBe(true)
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      } finally {
        db.close()
      }
    }

    // Resend everything: ACKed ones get their original ACK byte for byte, nothing is stored twice.
    const c = await MllpTestClient.connect(child.port)
    for (let s = 0; s < STREAMS; s++) {
      for (let n = 0; n < PER_STREAM; n++) {
        const id = control(s, n)
        const reply = await c.send(adtMsg({ control: id, mrn: `KM${s}-${n % 20}` }))
        const original = acks.get(id)
        if (original) expect(reply.equals(original), `${id}: the duplicate gets the original ACK`).toBe(true)
        else expect(parseAck(reply)).toMatchObject({ code: 'AA', controlId: id })
      }
    }
    c.close()
    const db = await dbOf(dataDir, keyHex)
    try {
      const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n
      // The last resends may still be on their way out of the inbox.
      await until(() => count("SELECT count(*) AS n FROM transactions WHERE channel = 'kill-in'") >= total, 'every message moved into transactions')
      expect(count("SELECT count(*) AS n FROM transactions WHERE channel = 'kill-in'")).toBe(total)
      expect(count("SELECT count(DISTINCT control_id) AS n FROM transactions WHERE channel = 'kill-in'")).toBe(total)
      // Interrupted processing resumes: everything ends done.
      await until(() => count("SELECT count(*) AS n FROM transactions WHERE channel = 'kill-in' AND status <> 'done'") === 0, 'all processed', 90_000)
      expect(count("SELECT count(*) AS n FROM records WHERE kind = 'patient'")).toBe(STREAMS * 20)
    } finally {
      db.close()
    }
    child.proc.kill('SIGTERM')
    await child.exited
    expect(killsDone.length).toBe(ROUNDS)
    // Five engine start-ups (each opens, migrates and recovers the store) take ~30 s on a quiet
    // machine; a loaded CI runner starved them past the suite's 120 s.
  }, 300_000)
})

/**
 * Kill -9 soak for MLLP-03/-05 ("0 messages acknowledged but absent after restart, across ≥ 1,000
 * crash iterations"): the engine runs in a child process with its MLLP listener and processes
 * every message (ADT mapped into patients) while 4 connections stream, each sending the next
 * message only after the ACK of the previous. Each round SIGKILLs the child at a seeded random
 * moment, either after a number of ACKs or a number of milliseconds after it listened (so some
 * kills land in start-up recovery), then restarts it and checks, in its database:
 *   - every message that got an AA is stored exactly once; no control id is stored twice;
 *   - PRAGMA integrity_check is ok.
 * Messages in flight at the kill (sent, no ACK) are resent first in the next round: they are
 * stored then, or answered as duplicates, never both. Every 100 rounds every message is resent
 * (an ACKed one must get its original ACK byte for byte), everything must end processed (`done`),
 * and a new data folder starts.
 *
 *   npm run soak [-- rounds [seed]]        (default 1,000 rounds; exits 1 on any violation)
 *
 * Too long for CI (about 2–3 s a round); the kill -9 integration test runs 4 rounds of the same.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAck } from '../../electron/engine/connectors/hl7'
import { adtMsg, MllpTestClient } from '../integration/hl7/support'
import { openChildDb, startEngineChild, type EngineChild } from '../support/engine-child'
import { mulberry32 } from '../support/prng'

const ROUNDS = Number(process.argv[2] ?? 1000)
const SEED = Number(process.argv[3] ?? Date.now() % 1_000_000)
const STREAMS = 4
const PER_FOLDER = 100

const rand = mulberry32(SEED)
const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))

interface Folder {
  dir: string
  keyHex: string
  acks: Map<string, Buffer>
  /** Sent without an ACK seen (the child died first): stored or not, to be resent. */
  unsure: Set<string>
  next: number
}

const figures = { rounds: 0, byAcks: 0, byTime: 0, early: 0, acked: 0, checked: 0, resentUnsure: 0, restartMs: [] as number[], folders: 0 }

function fail(msg: string): never {
  console.error(`\nVIOLATION (seed ${SEED}, round ${figures.rounds}): ${msg}`)
  process.exit(1)
}

const mrnOf = (id: string): string => `SK${id.length % 7}-${id.slice(-2)}`

/** One connection's stream: first its share of the unsure ids, then new ones; stops when the child dies. */
async function stream(f: Folder, port: number, s: number, unsure: string[], onAck: () => void): Promise<void> {
  let c: MllpTestClient
  try {
    c = await MllpTestClient.connect(port)
  } catch {
    return
  }
  const mine = unsure.filter((_, i) => i % STREAMS === s)
  for (;;) {
    const id = mine.shift() ?? `S${s}-${f.next++}`
    f.unsure.add(id)
    let reply: Buffer
    try {
      reply = await c.send(adtMsg({ control: id, mrn: mrnOf(id) }))
    } catch {
      return
    }
    const ack = parseAck(reply)
    if (ack.controlId !== id) fail(`ACK for the wrong message: sent ${id}, got ${ack.controlId}`)
    if (ack.code !== 'AA') fail(`${id} got ${ack.code}: ${ack.text ?? ''}`)
    const before = f.acks.get(id)
    if (before && !before.equals(reply)) fail(`${id} was ACKed twice with different bytes`)
    f.unsure.delete(id)
    f.acks.set(id, reply)
    onAck()
  }
}

async function verify(f: Folder): Promise<void> {
  const db = await openChildDb(f.dir, f.keyHex)
  try {
    const rows = db.prepare("SELECT control_id, count(*) AS n FROM transactions WHERE channel = 'kill-in' GROUP BY control_id").all() as { control_id: string; n: number }[]
    const stored = new Map(rows.map((r) => [r.control_id, r.n]))
    for (const id of f.acks.keys()) {
      const n = stored.get(id)
      if (n !== 1) fail(`${id} was ACKed and is stored ${n ?? 0} times`)
    }
    for (const [id, n] of stored) if (n !== 1) fail(`${id} is stored ${n} times`)
    const ok = db.pragma('integrity_check', { simple: true })
    if (ok !== 'ok') fail(`integrity_check: ${String(ok)}`)
    figures.checked += f.acks.size
  } finally {
    db.close()
  }
}

async function start(f: Folder): Promise<EngineChild> {
  const t0 = performance.now()
  const child = await startEngineChild(f.dir, f.keyHex)
  figures.restartMs.push(performance.now() - t0)
  return child
}

/** Resends everything; waits until every message is processed; stops the child. */
async function closeFolder(f: Folder, child: EngineChild): Promise<void> {
  const c = await MllpTestClient.connect(child.port)
  const all = [...new Set([...f.acks.keys(), ...f.unsure])]
  for (const id of all) {
    const reply = await c.send(adtMsg({ control: id, mrn: mrnOf(id) }))
    const original = f.acks.get(id)
    if (original && !original.equals(reply)) fail(`${id}: a resend did not get the original ACK`)
    if (parseAck(reply).code !== 'AA') fail(`${id}: resend answered ${parseAck(reply).code}`)
  }
  c.close()
  const end = Date.now() + 180_000
  for (;;) {
    const db = await openChildDb(f.dir, f.keyHex)
    const row = db.prepare("SELECT count(*) AS n, sum(status = 'done') AS done, count(DISTINCT control_id) AS ids FROM transactions WHERE channel = 'kill-in'").get() as { n: number; done: number; ids: number }
    db.close()
    if (row.n === all.length && row.done === row.n && row.ids === row.n) break
    if (row.n > all.length || row.ids !== row.n) fail(`after the resend: ${row.n} rows for ${all.length} messages (${row.ids} distinct)`)
    if (Date.now() > end) fail(`not all processed after 180 s: ${row.done} of ${row.n} done`)
    await new Promise((r) => setTimeout(r, 200))
  }
  child.proc.kill('SIGTERM')
  await child.exited
  rmSync(f.dir, { recursive: true, force: true })
}

function newFolder(): Folder {
  figures.folders++
  return { dir: mkdtempSync(join(tmpdir(), 'hl7-soak-')), keyHex: randomBytes(32).toString('hex'), acks: new Map(), unsure: new Set(), next: 0 }
}

async function main(): Promise<void> {
  console.log(`kill -9 soak: ${ROUNDS} rounds, seed ${SEED}, ${STREAMS} connections, a new data folder every ${PER_FOLDER} rounds`)
  const t0 = Date.now()
  let f = newFolder()
  let child = await start(f)
  for (let round = 0; round < ROUNDS; round++) {
    figures.rounds = round + 1
    const current = child
    const byTime = rand() < 0.4
    const afterAcks = between(1, 200)
    const afterMs = between(0, 300)
    let killed = false
    const kill = (): void => {
      if (killed) return
      killed = true
      current.proc.kill('SIGKILL')
    }
    let acksThisRound = 0
    const timer = byTime ? setTimeout(kill, afterMs) : null
    const unsure = [...f.unsure]
    figures.resentUnsure += unsure.length
    await Promise.all(
      Array.from({ length: STREAMS }, (_, s) =>
        stream(f, current.port, s, unsure, () => {
          acksThisRound++
          figures.acked++
          if (!byTime && acksThisRound >= afterAcks) kill()
        }),
      ),
    )
    if (timer) clearTimeout(timer)
    kill()
    if (byTime) figures.byTime++
    else figures.byAcks++
    if (byTime && afterMs < 20) figures.early++
    await current.exited
    child = await start(f)
    await verify(f)
    if ((round + 1) % PER_FOLDER === 0 || round + 1 === ROUNDS) {
      await closeFolder(f, child)
      const s = (Date.now() - t0) / 1000
      console.log(`  ${round + 1} rounds in ${s.toFixed(0)} s: ${figures.acked} ACKs, ${figures.checked} ACKed-message checks after restarts, 0 lost, 0 stored twice`)
      if (round + 1 < ROUNDS) {
        f = newFolder()
        child = await start(f)
      }
    }
  }
  const r = [...figures.restartMs].sort((a, b) => a - b)
  const p = (q: number): number => r[Math.min(r.length - 1, Math.floor(q * r.length))] ?? NaN
  console.log(`done: ${figures.rounds} kill -9 rounds (${figures.byAcks} after a number of ACKs, ${figures.byTime} after a delay, ${figures.early} of them within 20 ms of listening), ${figures.acked} ACKs, ${figures.resentUnsure} in-flight messages resent after a kill, ${figures.folders} data folders`)
  console.log(`  every ACKed message stored exactly once after every restart (${figures.checked} checks), integrity_check ok every time, every message processed at each folder's end`)
  console.log(`  restart to listening: p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

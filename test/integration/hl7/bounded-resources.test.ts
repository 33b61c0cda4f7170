/**
 * Issue #17, items 3, 4 and 5 on a real engine over loopback: a flood of frames with an 11 MB
 * control id does not erase the log; the WALs stay bounded through a burst and end small; the
 * inbox file is given back once it empties; many frames just under the frame cap at once stay
 * within the engine's buffered-bytes budget (its own accounting, which is deterministic; RSS is
 * printed as a figure, never asserted).
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { hl7Runtime } from '../../../electron/engine/connectors/hl7-engine'
import { MAX_CONTROL_ID_LENGTH } from '../../../electron/engine/connectors/hl7-engine/inbound-receiver'
import { frameMessage, parseAck } from '../../../electron/engine/connectors/hl7'
import { engineLogFile, tailLog } from '../../../electron/engine/core/log-reader'
import { adtMsg, MllpTestClient, openHl7Engine, until, type Hl7TestEngine } from './support'

let t: Hl7TestEngine | null = null
afterEach(async () => {
  await t?.close()
  t = null
})

const size = (f: string): number => {
  try {
    return statSync(f).size
  } catch {
    return 0
  }
}
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`

describe('logs cannot be erased by input', () => {
  it('frames with an 11 MB control id leave every earlier line readable, and log it truncated with a marker', async () => {
    t = await openHl7Engine({ logFile: true })
    // No byte budget for refused input here: these frames are refused (over-long MSH-10) and must still be answered and logged.
    const { port } = await t.addInbound('big-ids', { refusedBytesPerMinute: 0 })
    for (let n = 0; n < 2000; n++) t.engine.ctx.logger.info('marker line', { n })
    const controlId = 'X'.repeat(11 * 1024 * 1024)
    const c = await MllpTestClient.connect(port)
    // Each is refused (an over-long MSH-10) and logged with its control id.
    const big = frameMessage(Buffer.from(adtMsg({ control: controlId })))
    for (let i = 0; i < 3; i++) {
      c.write(big)
      expect((await c.next(180_000)).includes(Buffer.from('MSA|AR|'))).toBe(true)
    }
    c.close()
    const file = engineLogFile(t.dir)
    await until(() => tailLog(file, { level: 'info', q: 'control id too long', limit: 5 }).entries.length >= 3, 'the refusal lines')
    const dup = tailLog(file, { level: 'info', q: 'control id too long', limit: 1 }).entries[0]!
    expect(String(dup.fields.controlId)).toMatch(/^X{512}…\[\+11533824 bytes\]$/)
    const seen = new Set<number>()
    let before: string | undefined
    for (let page = 0; page < 200; page++) {
      const r = tailLog(file, { level: 'info', q: 'marker line', limit: 500, ...(before ? { before } : {}) })
      for (const e of r.entries) seen.add(e.fields.n as number)
      if (!r.next) break
      before = r.next
    }
    expect(seen.size).toBe(2000)
    expect(size(file)).toBeLessThan(1024 * 1024)
  })
})

describe('an over-long MSH-10 is neither stored nor indexed at full length', () => {
  it('an 11 MB control id is refused with AR naming MSH-10, kept whole in the raw bytes and cut in control_id; ids up to the cap dedup exactly', async () => {
    t = await openHl7Engine()
    // No byte budget for refused input (4 MiB a minute by default, which would keep the 11 MB frame out of the store altogether).
    const { port } = await t.addInbound('long-ids', { refusedBytesPerMinute: 0 })
    const c = await MllpTestClient.connect(port)
    const huge = 'H'.repeat(11 * 1024 * 1024)
    const hugeMsg = Buffer.from(adtMsg({ control: huge }))
    c.write(frameMessage(hugeMsg))
    const refused = parseAck(await c.next(180_000))
    expect(refused.code).toBe('AR')
    expect(refused.errors[0]).toMatchObject({ code: '102', location: expect.stringMatching(/^MSH\b.*10$/) })
    expect(refused.errors[0]!.userMessage).toMatch(/MSH-10 \(message control id\) is 11534336 characters long; at most 199 are accepted/)

    // Exactly at the cap: accepted, and a resend is a duplicate answered with the original ACK.
    const atCap = 'C'.repeat(MAX_CONTROL_ID_LENGTH)
    const first = parseAck(await c.send(adtMsg({ control: atCap })))
    expect(first.code).toBe('AA')
    const again = parseAck(await c.send(adtMsg({ control: atCap })))
    expect(again.code).toBe('AA')
    // Same first 199 characters, one more: refused, not taken for a duplicate of the one above.
    const over = parseAck(await c.send(adtMsg({ control: atCap + 'C' })))
    expect(over.code).toBe('AR')
    c.close()

    const rows = t.rows("channel = 'long-ids'")
    expect(rows).toHaveLength(3)
    // Accepted messages reach transactions through the inbox, so ids do not follow arrival: find each by what it holds.
    const big = rows.find((r) => r.control_id!.startsWith('H'))!
    const ok = rows.find((r) => r.control_id === atCap)!
    const overRow = rows.find((r) => r.control_id!.startsWith('C') && r !== ok)!
    expect(big.status).toBe('error')
    expect(big.error_code).toBe('parse_error')
    expect(big.control_id).toBe(`${'H'.repeat(MAX_CONTROL_ID_LENGTH)}…[+${huge.length - MAX_CONTROL_ID_LENGTH} chars]`)
    expect(big.dedup_key).toBeNull()
    expect(big.raw.equals(hugeMsg)).toBe(true)
    expect(big.response!.length).toBeLessThan(8 * 1024)
    expect(ok.status).not.toBe('error')
    expect(ok.dedup_key).toContain(atCap)
    expect(overRow.control_id).toBe(`${atCap}…[+1 chars]`)
    // Nothing in the database holds the id at full length but the raw bytes.
    const db = t.engine.ctx.db
    const longest = db.prepare("SELECT max(length(control_id)) AS c, max(length(coalesce(dedup_key, ''))) AS d, max(length(coalesce(response, ''))) AS r FROM transactions").get() as { c: number; d: number; r: number }
    expect(longest.c).toBeLessThan(300)
    expect(longest.d).toBeLessThan(300)
    expect(longest.r).toBeLessThan(8 * 1024)
    const k = (await t.call<{ name: string; counters: Record<string, number> }[]>('hl7.listeners', { practiceId: 'sandbox' })).find((x) => x.name === 'long-ids')!.counters
    expect(k).toMatchObject({ accepted: 1, duplicates: 1, rejected: 2 })
  })
})

describe('an over-long MSH-3 or MSH-4 does not make the duplicate key long', () => {
  it('a 1 MB sending facility is accepted, its resend is a duplicate, one character more is not, and no stored key is long', async () => {
    t = await openHl7Engine()
    const { port } = await t.addInbound('long-facility')
    const c = await MllpTestClient.connect(port)
    const facility = 'F'.repeat(1024 * 1024)
    expect(parseAck(await c.send(adtMsg({ control: 'LF1', facility }))).code).toBe('AA')
    expect(parseAck(await c.send(adtMsg({ control: 'LF1', facility }))).code).toBe('AA')
    expect(parseAck(await c.send(adtMsg({ control: 'LF1', facility: facility + 'G' }))).code).toBe('AA')
    c.close()
    const k = (await t.call<{ name: string; counters: Record<string, number> }[]>('hl7.listeners', { practiceId: 'sandbox' })).find((x) => x.name === 'long-facility')!.counters
    expect(k).toMatchObject({ accepted: 2, duplicates: 1 })
    const rows = t.rows("channel = 'long-facility'")
    expect(rows).toHaveLength(2)
    for (const r of rows) expect(r.dedup_key).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(new Set(rows.map((r) => r.dedup_key)).size).toBe(2)
  })
})

describe('disk is bounded', () => {
  it('after a burst both WALs end at most at their limit (the probe: hundreds of MB left behind), and the emptied inbox file is rebuilt small', async () => {
    const limit = 2 * 1024 * 1024
    t = await openHl7Engine({ settings: { walLimitBytes: limit } })
    const { port } = await t.addInbound('burst', { maxConnectionsPerPeer: 8 })
    const files = { main: join(t.dir, 'practice-studio.db'), inbox: join(t.dir, 'inbox.db') }
    expect(size(files.main)).toBeGreaterThan(0)
    let peak = { main: 0, inbox: 0 }
    const sampler = setInterval(() => {
      peak = { main: Math.max(peak.main, size(`${files.main}-wal`)), inbox: Math.max(peak.inbox, size(`${files.inbox}-wal`)) }
    }, 10)
    try {
      // Hold the main database's write lock: nothing is moved out of the inbox meanwhile, so the
      // inbox fills as it did under the probe's load (ACKs come from the inbox alone).
      t.engine.ctx.db.exec('BEGIN IMMEDIATE')
      const pad = `NTE|1||${'p'.repeat(30 * 1024)}`
      const clients = await Promise.all(Array.from({ length: 4 }, () => MllpTestClient.connect(port)))
      await Promise.all(
        clients.map(async (c, i) => {
          for (let k = 0; k < 120; k++) expect(parseAck(await c.send(adtMsg({ control: `WB${i}-${k}`, mrn: `WB${i}`, extra: [pad] }))).code).toBe('AA')
          c.close()
        }),
      )
      const full = size(files.inbox) + size(`${files.inbox}-wal`)
      t.engine.ctx.db.exec('COMMIT')
      expect(full).toBeGreaterThan(10 * 1024 * 1024)
      await until(() => t!.rows("channel = 'burst'").length === 480, 'every message moved')
      await t.idle()
      const mover = t.engine.ctx.inboxMover!
      await until(() => mover.stats.reclaims > 0 && size(files.inbox) < 1024 * 1024, () => `the inbox rebuilt (inbox.db ${mb(size(files.inbox))})`)
      await until(() => size(`${files.main}-wal`) <= limit && size(`${files.inbox}-wal`) <= limit, () => `WALs at most their limit (main ${mb(size(`${files.main}-wal`))}, inbox ${mb(size(`${files.inbox}-wal`))})`)
      // The peaks depend on how much CPU the checkpointer's thread gets: a figure here, a pass criterion in the soak's disk round.
      console.log(`wal-bound: limit ${mb(limit)}; peak WAL main ${mb(peak.main)}, inbox ${mb(peak.inbox)}; inbox file full ${mb(full)}, after ${mb(size(files.inbox))} (${mover.stats.reclaims} rebuild(s), ${mb(mover.stats.reclaimedBytes)} free given back)`)
    } finally {
      clearInterval(sampler)
      if (t.engine.ctx.db.inTransaction) t.engine.ctx.db.exec('COMMIT')
    }
  })
})

describe('memory is bounded by configuration', () => {
  it('12 frames just under the frame cap at once: the bytes held never pass budget + one frame, every frame is answered, all is released', async () => {
    const budgetBytes = 8 * 1024 * 1024
    const frameCap = 2 * 1024 * 1024
    t = await openHl7Engine({ settings: { hl7MaxBufferedBytes: budgetBytes } })
    // Acknowledged after processing, with processing paused: no frame is released until it resumes,
    // so the budget fills whatever the machine's speed (deterministic, no timing involved).
    const { port } = await t.addInbound('big-frames', { maxFrameBytes: frameCap, maxConnectionsPerPeer: 16, ackMode: 'application' })
    await t.call('practices.update', { id: 'sandbox', settings: { hl7ProcessingPaused: true } })
    const budget = hl7Runtime(t.engine.ctx)!.listeners.budget
    const rss0 = process.memoryUsage().rss
    let rssPeak = rss0
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5)
    try {
      const clients = await Promise.all(Array.from({ length: 12 }, () => MllpTestClient.connect(port)))
      budget.resetPeak()
      const acks = Promise.all(
        clients.map(async (c, i) => {
          const base = adtMsg({ control: `BIG${i}`, mrn: `BIG${i}` })
          c.write(frameMessage(Buffer.from(base + `NTE|1||${'b'.repeat(frameCap - base.length - 16)}\r`)))
          return parseAck(await c.next(120_000))
        }),
      )
      await until(() => budget.pauses > 0 && budget.used >= budgetBytes, () => `the budget spent (${mb(budget.used)} held)`)
      const rssDuring = process.memoryUsage().rss
      await t.call('practices.update', { id: 'sandbox', settings: { hl7ProcessingPaused: false } })
      expect((await acks).map((a) => a.code)).toEqual(Array(12).fill('AA'))
      for (const c of clients) c.close()
      console.log(
        `memory-budget: budget ${mb(budgetBytes)}, frame cap ${mb(frameCap)}, 12 frames at once: held at most ${mb(budget.peak)} (reading paused ${budget.pauses} times); ` +
          `RSS before ${mb(rss0)}, while spent ${mb(rssDuring)}, peak ${mb(rssPeak)}, after ${mb(process.memoryUsage().rss)}`,
      )
      expect(budget.peak).toBeLessThanOrEqual(budgetBytes + frameCap + 64 * 1024)
      await until(() => budget.used === 0, () => `every byte released (${budget.used} held)`)
      expect(t.rows("channel = 'big-frames'")).toHaveLength(12)
    } finally {
      clearInterval(sampler)
    }
  })

  it('commit mode, where the ingest writer takes the memory of each frame: frames queued on one connection are counted until handled, reading pauses at the budget, and every byte is released', async () => {
    const budgetBytes = 2 * 1024 * 1024
    const e = (t = await openHl7Engine({ settings: { hl7MaxBufferedBytes: budgetBytes } }))
    const { port } = await e.addInbound('handed-over', { maxFrameBytes: 4 * 1024 * 1024 })
    const budget = hl7Runtime(e.engine.ctx)!.listeners.budget
    expect(e.engine.ctx.pipeline.acceptsOffThread).toBe(true)
    const c = await MllpTestClient.connect(port)
    budget.resetPeak()
    // Eight 1 MB frames in one write: all but the one being handled queue on the connection.
    const frames = Array.from({ length: 8 }, (_, i) => {
      const base = adtMsg({ control: `HO${i}`, mrn: `HO${i}` })
      return frameMessage(Buffer.from(base + `NTE|1||${'h'.repeat(1024 * 1024 - base.length - 16)}\r`))
    })
    c.write(Buffer.concat(frames))
    const acks = []
    for (let i = 0; i < frames.length; i++) acks.push(parseAck(await c.next(60_000)))
    c.close()
    expect(acks.map((a) => `${a.code} ${a.controlId}`)).toEqual(frames.map((_, i) => `AA HO${i}`))
    expect(budget.pauses).toBeGreaterThan(0)
    expect(budget.peak).toBeGreaterThan(budgetBytes)
    expect(budget.peak).toBeLessThanOrEqual(budgetBytes + 4 * 1024 * 1024 + 64 * 1024)
    // What a handed-over frame releases is its size as received, not its emptied buffer's.
    await until(() => budget.used === 0, () => `every byte released (${budget.used} held)`)
    const stored = e.rows("channel = 'handed-over'")
    expect(stored.map((r) => r.control_id)).toEqual(frames.map((_, i) => `HO${i}`))
    expect(stored.every((r, i) => r.raw.equals((frames[i] as Buffer).subarray(1, -2)))).toBe(true)
  })
})

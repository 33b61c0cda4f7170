/**
 * The mapping worker's thread (premap.ts says what it computes, premapper.ts runs it): parses each
 * row it is sent and evaluates the slots map will ask for, with the sets the engine sent. It reads
 * no store and writes nothing: a lost answer only means the engine thread maps that row itself.
 * Built as an entry of its own (`hl7-premap-worker` in electron.vite.config.mts).
 */
import { parentPort } from 'node:worker_threads'
import { mappingSetSchema, type MappingSet } from '../../../../shared/mapping'
import { parseHl7 } from '../hl7'
import { processedType } from './message-types'
import { premap, premapRequestSchema, type PremapAnswer, type PremapRequest } from './premap'

/** Rows per answer: the engine can start on the first ones while the rest are mapped. */
const ROWS_PER_ANSWER = 8

const port = parentPort
if (!port) throw new Error('premap-worker.ts runs as a worker thread')

const sets = new Map<string, { set: MappingSet; version: number | null }>()

function answer(a: PremapAnswer): void {
  port!.postMessage(a)
}

function mapRows(req: PremapRequest): void {
  for (const s of req.sets) sets.set(`${s.practiceId}\u0000${s.key}`, { set: mappingSetSchema.parse(s.set), version: s.version })
  let rows: Extract<PremapAnswer, { rows: unknown }>['rows'] = []
  req.rows.forEach((r, i) => {
    let route: string | null = null
    let action: string | null = null
    let slots = {}
    try {
      const msg = parseHl7(Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength), { defaultCharset: r.charset })
      const type = processedType(r.types, msg.code, msg.trigger)
      if (type) {
        route = type.route
        action = type.action
        slots = premap(msg, type, (key) => sets.get(`${r.practiceId}\u0000${key}`), { practiceId: r.practiceId, defaultTimeZone: r.zone, now: () => req.now })
      }
    } catch {
      // Unparseable: map never runs for it; the engine's parse reports why.
    }
    rows.push({ id: r.id, route, action, slots })
    const last = i === req.rows.length - 1
    if (rows.length === ROWS_PER_ANSWER || last) {
      answer({ seq: req.seq, last, rows })
      rows = []
    }
  })
  if (req.rows.length === 0) answer({ seq: req.seq, last: true, rows: [] })
}

port.on('message', (m: unknown) => {
  const req = premapRequestSchema.safeParse(m)
  if (!req.success) {
    const seq = (m as { seq?: unknown } | null)?.seq
    answer({ seq: typeof seq === 'number' ? seq : -1, failed: 'invalid request' })
    return
  }
  try {
    mapRows(req.data)
  } catch (e) {
    answer({ seq: req.data.seq, failed: (e as Error)?.name ?? 'error' })
  }
})
port.postMessage('ready')

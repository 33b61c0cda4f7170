/**
 * Mapping on the worker thread (hl7-engine/premapper.ts): with the worker mapping rows ahead of
 * the group being applied, every message is still applied exactly once and in arrival order per
 * patient, and a mapping set published after rows were mapped on the worker is the one they are
 * mapped with (the worker's slots of the older version are not used; the next rows' are, with the
 * new set sent to the worker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PREMAP_SERVICE, type Premapper } from '../../../electron/engine/connectors/hl7-engine/premapper'
import type { LaneRow } from '../../../electron/engine/pipeline/types'
import { adtMsg, openHl7Engine, until, type Hl7TestEngine } from './support'

const P = 'sandbox'
const CHANNEL = 'mw-in'
let t: Hl7TestEngine
let pm: Premapper

beforeAll(async () => {
  t = await openHl7Engine()
  await t.addInbound(CHANNEL)
  pm = t.engine.ctx.services.get(PREMAP_SERVICE) as Premapper
  await until(() => pm.running, 'the mapping worker ready')
})
afterAll(async () => {
  await t?.close()
})

const paused = (on: boolean): void => {
  t.engine.ctx.practices.update({ id: P, settings: { hl7ProcessingPaused: on } }, 'test')
  if (!on) t.engine.ctx.pipeline.kickPending()
}

/** Stores the messages as the listener would (accepted, not processed while paused). */
async function accept(msgs: { control: string; text: string }[]): Promise<void> {
  for (let i = 0; i < msgs.length; i += 32) {
    await Promise.all(
      msgs.slice(i, i + 32).map((m) =>
        t.engine.ctx.pipeline.accept({ practiceId: P, connector: 'hl7', channel: CHANNEL, direction: 'in', messageType: 'ADT', contentType: 'hl7v2', raw: Buffer.from(m.text), controlId: m.control, dedupKey: `mw|${m.control}`, response: 'ACK' }),
      ),
    )
  }
}

const patient = (mrn: string) => t.engine.ctx.records.findByExternalId(P, 'patient', 'mrn:RIVERSIDE', mrn)

describe('HL7 mapping worker', () => {
  it('applies each message once, in arrival order per patient, while the worker maps ahead', async () => {
    paused(true)
    // 120 patients, 4 messages each, a patient's messages spread through the backlog; every
    // message carries its own first name, so a slot handed to the wrong row shows.
    const PATIENTS = 120
    const msgs: { control: string; text: string; mrn: string; first: string }[] = []
    for (let k = 0; k < 4; k++) {
      for (let p = 0; p < PATIENTS; p++) {
        const first = `F${p}V${k}`
        msgs.push({ control: `W${k}-${p}`, mrn: `MW${p}`, first, text: adtMsg({ control: `W${k}-${p}`, trigger: k === 0 ? 'A04' : 'A08', mrn: `MW${p}`, first }) })
      }
    }
    await accept(msgs)
    const before = pm.slotsUsed
    paused(false)
    await t.idle()

    const rows = t.rows("control_id LIKE 'W%'")
    expect(rows).toHaveLength(msgs.length)
    expect(rows.every((r) => r.status === 'done')).toBe(true)
    const expected = new Map(msgs.map((m) => [m.control, m]))
    const byPatient = new Map<number, { tx: number; first: unknown }[]>()
    for (const r of rows) {
      // Exactly once: one record change per message, with that message's own data.
      const changes = t.engine.ctx.records.changesForTx(r.id)
      expect(changes, `changes of ${r.control_id}`).toHaveLength(1)
      const c = changes[0]!
      const first = (c.after as { first_name?: unknown } | null)?.first_name
      expect(first).toBe(expected.get(r.control_id!)!.first)
      byPatient.set(c.recordId, [...(byPatient.get(c.recordId) ?? []), { tx: r.id, first }])
    }
    expect(byPatient.size).toBe(PATIENTS)
    // Arrival order per patient: V0, V1, V2, V3 in transaction order, the last one kept.
    for (const list of byPatient.values()) {
      const firsts = list.sort((a, b) => a.tx - b.tx).map((x) => String(x.first).replace(/^F\d+/, ''))
      expect(firsts).toEqual(['V0', 'V1', 'V2', 'V3'])
    }
    for (let p = 0; p < PATIENTS; p++) expect(patient(`MW${p}`)?.data.first_name).toBe(`F${p}V3`)
    // The worker was in the path: most messages' patient mapping came from it.
    expect(pm.slotsUsed - before).toBeGreaterThan(msgs.length / 2)
  })

  it('maps rows with a set published after the worker mapped them, and sends the worker the new set', async () => {
    paused(true)
    const batch = (tag: string) => Array.from({ length: 20 }, (_, n) => ({ control: `${tag}${n}`, text: adtMsg({ control: `${tag}${n}`, mrn: `M${tag}${n}`, first: `Name${tag}${n}` }) }))
    await accept(batch('VA'))
    // What a lane does before its group: the worker maps these rows with the set in force now.
    const rows = t.rows("control_id LIKE 'VA%'") as LaneRow[]
    await pm.prepare(rows, (r) => t.engine.ctx.txRepo.payloadOf(r))
    await until(() => rows.every((row) => pm.answered(row.id)), 'every row mapped on the worker')

    const r = await t.call<{ published: boolean }>('mappings.publish', {
      practiceId: P,
      key: 'hl7.adt.patient.in',
      comment: 'first names in lower case',
      acceptFailures: 'names change on purpose',
      override: { baseKey: 'hl7.adt.patient.in', fields: [{ id: 'first_name', target: 'first_name', source: 'PID-5.2', transforms: [{ op: 'trim' }, { op: 'lower' }] }] },
    })
    expect(r.published).toBe(true)

    const used = pm.slotsUsed
    paused(false)
    await t.idle()
    for (let n = 0; n < 20; n++) expect(patient(`MVA${n}`)?.data.first_name).toBe(`nameva${n}`)
    // The worker's slots were of the older version: none was used.
    expect(pm.slotsUsed).toBe(used)

    // Rows after the change: mapped on the worker again, with the new set.
    paused(true)
    await accept(batch('VB'))
    paused(false)
    await t.idle()
    for (let n = 0; n < 20; n++) expect(patient(`MVB${n}`)?.data.first_name).toBe(`namevb${n}`)
    expect(pm.slotsUsed).toBeGreaterThan(used)
  })
})

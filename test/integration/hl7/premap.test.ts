/**
 * Parse and premap ahead of the group's write (pipeline/outcomes.ts `ahead`, hl7-engine premap.ts):
 * a lane's rows are parsed and their mapping sets evaluated before the write lock is taken, and
 * map, apply and the outcome run inside it. Every message is still applied exactly once and in
 * arrival order per patient (a patient's later message sees what its earlier one wrote), map uses
 * an evaluation made ahead only with the set version and time zone it was made with, and a set
 * published between the two is the one the rows are mapped with.
 *
 * The inbound handler is registered again as the engine registers it, with its premap wrapped so
 * the test sees (and, for the version and zone checks, alters) what premap left for map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParsedInbound } from '../../../electron/engine/connectors/hl7-engine/inbound-handler'
import { createInboundHandler } from '../../../electron/engine/connectors/hl7-engine/inbound-handler'
import { Hl7Interfaces } from '../../../electron/engine/connectors/hl7-engine/interfaces'
import type { ProcessContext } from '../../../electron/engine/pipeline/connector-handler'
import { adtMsg, openHl7Engine, siuMsg, type Hl7TestEngine } from './support'

const P = 'sandbox'
const CHANNEL = 'pm-in'
let t: Hl7TestEngine
/** Runs after the real premap on each parsed message (null: nothing). */
let afterPremap: ((p: ParsedInbound, ctx: ProcessContext) => void) | null = null
let premapped = 0

beforeAll(async () => {
  t = await openHl7Engine()
  await t.addInbound(CHANNEL)
  const real = createInboundHandler(t.engine.ctx, new Hl7Interfaces(t.engine.ctx.connections))
  t.engine.ctx.pipeline.register({
    ...real,
    premap(parsed: ParsedInbound, ctx: ProcessContext) {
      real.premap!(parsed, ctx)
      if (parsed.premapped?.slots.patient) premapped++
      afterPremap?.(parsed, ctx)
    },
  })
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
        t.engine.ctx.pipeline.accept({ practiceId: P, connector: 'hl7', channel: CHANNEL, direction: 'in', messageType: 'ADT', contentType: 'hl7v2', raw: Buffer.from(m.text), controlId: m.control, dedupKey: `pm|${m.control}`, response: 'ACK' }),
      ),
    )
  }
}

const patient = (mrn: string) => t.engine.ctx.records.findByExternalId(P, 'patient', 'mrn:RIVERSIDE', mrn)
const batch = (tag: string, n = 20) => Array.from({ length: n }, (_, i) => ({ control: `${tag}${i}`, text: adtMsg({ control: `${tag}${i}`, mrn: `M${tag}${i}`, first: `Name${tag}${i}` }) }))

describe('HL7 parse and premap ahead of the write', () => {
  it('applies each message once, in arrival order per patient', async () => {
    paused(true)
    // 120 patients, 4 messages each, a patient's messages spread through the backlog; every
    // message carries its own first name, so an evaluation handed to the wrong row shows.
    const PATIENTS = 120
    const msgs: { control: string; text: string; mrn: string; first: string }[] = []
    for (let k = 0; k < 4; k++) {
      for (let p = 0; p < PATIENTS; p++) {
        const first = `F${p}V${k}`
        msgs.push({ control: `W${k}-${p}`, mrn: `PM${p}`, first, text: adtMsg({ control: `W${k}-${p}`, trigger: k === 0 ? 'A04' : 'A08', mrn: `PM${p}`, first }) })
      }
    }
    await accept(msgs)
    const before = premapped
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
      expect(c.op).toBe(r.control_id!.startsWith('W0-') ? 'create' : 'update')
      const first = (c.after as { first_name?: unknown } | null)?.first_name
      expect(first).toBe(expected.get(r.control_id!)!.first)
      byPatient.set(c.recordId, [...(byPatient.get(c.recordId) ?? []), { tx: r.id, first }])
    }
    // One patient each: a later message found the patient its first message created.
    expect(byPatient.size).toBe(PATIENTS)
    for (const list of byPatient.values()) {
      const firsts = list.sort((a, b) => a.tx - b.tx).map((x) => String(x.first).replace(/^F\d+/, ''))
      expect(firsts).toEqual(['V0', 'V1', 'V2', 'V3'])
    }
    for (let p = 0; p < PATIENTS; p++) expect(patient(`PM${p}`)?.data.first_name).toBe(`F${p}V3`)
    // Premap was in the path for every message.
    expect(premapped - before).toBe(msgs.length)
  })

  it('maps a message with what the message before it in the same group wrote', async () => {
    paused(true)
    // A registration then an appointment for the same new patient, back to back (one group), with
    // the rule that refuses an unknown patient: the appointment must find the patient the
    // registration created, which a lookup made before the group's write would not.
    t.engine.ctx.practices.update({ id: P, settings: { unknownPatientRule: 'hold' } }, 'test')
    const msgs = Array.from({ length: 30 }, (_, p) => [
      { control: `B${p}-0`, text: adtMsg({ control: `B${p}-0`, trigger: 'A04', mrn: `PB${p}`, first: `B${p}` }) },
      { control: `B${p}-1`, text: siuMsg({ control: `B${p}-1`, trigger: 'S12', appt: `APB${p}`, mrn: `PB${p}` }) },
    ]).flat()
    try {
      await accept(msgs)
      paused(false)
      await t.idle()
    } finally {
      t.engine.ctx.practices.update({ id: P, settings: { unknownPatientRule: 'create' } }, 'test')
    }
    const rows = t.rows("control_id LIKE 'B%'")
    expect(rows.map((r) => `${r.control_id} ${r.status}`)).toEqual(msgs.map((m) => `${m.control} done`))
    for (let p = 0; p < 30; p++) {
      const appt = rows.find((r) => r.control_id === `B${p}-1`)!
      expect(appt.patient_id).toBe(String(patient(`PB${p}`)?.id))
    }
  })

  it("keeps an operator's discard made after the lane read the row", async () => {
    paused(true)
    await accept(batch('DX', 10))
    let discard: Promise<{ discarded: unknown[] }> | null = null
    // Between the lane's read and the group's write: the discard commits first (the batcher's order).
    afterPremap = (_parsed, ctx) => {
      if (ctx.tx.control_id !== 'DX4') return
      discard = t.engine.ctx.pipeline.discard([ctx.tx.id], 'sent twice by mistake', 'tester@hl7')
    }
    try {
      paused(false)
      await t.idle()
    } finally {
      afterPremap = null
    }
    // The discard answers once its write is on disk, which may be after the lane went idle.
    expect(((await discard) as { discarded: unknown[] } | null)?.discarded.length).toBe(1)
    const rows = t.rows("control_id LIKE 'DX%'")
    expect(rows.map((r) => `${r.control_id} ${r.status}`)).toEqual(batch('DX', 10).map((m) => `${m.control} ${m.control === 'DX4' ? 'discarded' : 'done'}`))
    // Nothing of it applied: no record change, no patient.
    const gone = rows.find((r) => r.control_id === 'DX4')!
    expect(t.engine.ctx.records.changesForTx(gone.id)).toEqual([])
    expect(patient('MDX4')).toBeNull()
    expect(patient('MDX5')?.data.first_name).toBe('NameDX5')
  })

  it('uses an evaluation made ahead only with the set version and zone it was made with', async () => {
    paused(true)
    await accept([...batch('US'), ...batch('OV'), ...batch('OZ')])
    afterPremap = (parsed, ctx) => {
      const slot = parsed.premapped?.slots.patient
      const control = ctx.tx.control_id ?? ''
      if (!slot || !parsed.premapped) return
      const output = slot.evals[0]!.result.output as { first_name?: string }
      // What map finds tells where its value came from.
      if (control.startsWith('US')) output.first_name = `ahead-${control}`
      if (control.startsWith('OV')) {
        output.first_name = 'stale version'
        slot.version = (slot.version ?? 0) + 1000
      }
      if (control.startsWith('OZ')) {
        output.first_name = 'other zone'
        parsed.premapped.zone = 'Pacific/Kiritimati'
      }
    }
    try {
      paused(false)
      await t.idle()
    } finally {
      afterPremap = null
    }
    for (let n = 0; n < 20; n++) {
      expect(patient(`MUS${n}`)?.data.first_name).toBe(`ahead-US${n}`)
      expect(patient(`MOV${n}`)?.data.first_name).toBe(`NameOV${n}`)
      expect(patient(`MOZ${n}`)?.data.first_name).toBe(`NameOZ${n}`)
    }
  })

  it('maps with a set published after the rows were premapped', async () => {
    paused(true)
    await accept(batch('VA'))
    let published = false
    // The publish lands between the first row's premap and the group's write: that row's evaluations are of the older version.
    afterPremap = () => {
      if (published) return
      published = true
      t.engine.ctx.mappings.publish(
        P,
        'hl7.adt.patient.in',
        { baseKey: 'hl7.adt.patient.in', fields: [{ id: 'first_name', target: 'first_name', source: 'PID-5.2', transforms: [{ op: 'trim' }, { op: 'lower' }] }] },
        'first names in lower case',
        'tester@hl7',
      )
    }
    try {
      paused(false)
      await t.idle()
    } finally {
      afterPremap = null
    }
    expect(published).toBe(true)
    const names = Array.from({ length: 20 }, (_, n) => patient(`MVA${n}`)?.data.first_name)
    // The first row was premapped before the publish and written after it: mapped with the new set.
    expect(names[0]).toBe('nameva0')
    expect(names.every((x, n) => x === `nameva${n}`)).toBe(true)
  })
})

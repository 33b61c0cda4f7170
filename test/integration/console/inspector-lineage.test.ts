/**
 * The inspector's lineage on the real HL7 pipeline: for each field of the mapped stage, the source
 * path the practice's mapping set read it from, so raw and mapped can be shown side by side with
 * the feeding field highlighted. Only paths, never values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InspectorView, LineageEntry } from '../../../shared/api/inspector'
import { adtMsg, MllpTestClient, openHl7Engine, siuMsg, type Hl7TestEngine } from '../hl7/support'

let t: Hl7TestEngine
let c: MllpTestClient

beforeAll(async () => {
  t = await openHl7Engine()
  const { port } = await t.addInbound('adt-in')
  c = await MllpTestClient.connect(port)
})
afterAll(async () => {
  c?.close()
  await t?.close()
})

async function settle(text: string): Promise<number> {
  const ack = await c.sendAck(text)
  expect(['AA', 'CA']).toContain(ack.code)
  await t.idle()
  const rows = t.rows('control_id = ?', ack.controlId)
  return rows[rows.length - 1]!.id
}

const byTarget = (l: LineageEntry[], target: string, at = '/patient/data/'): LineageEntry | undefined => l.find((e) => e.target === target && e.path.startsWith(at))

describe('inspector lineage', () => {
  it('names the source path of each mapped patient field of an ADT', async () => {
    const id = await settle(adtMsg({ control: 'L1', mrn: 'LIN1' }))
    const v = await t.call<InspectorView>('inspector.view', { id })
    const mapped = v.stages.find((s) => s.stage === 'mapped')!
    const lineage = mapped.lineage!
    expect(byTarget(lineage, 'last_name')).toMatchObject({ path: '/patient/data/last_name', sources: ['PID-5.1'], mappingSet: 'hl7.adt.patient.in', version: null })
    expect(byTarget(lineage, 'mrn')!.sources[0]).toMatch(/^PID-3/)
    expect(byTarget(lineage, 'address.city')).toMatchObject({ path: '/patient/data/address/city' })
    // Every lineage path is a node of the mapped tree, and no value travels with it.
    const paths = new Set<string>()
    const walk = (ns: { path: string; children?: unknown[] }[]) => ns.forEach((n) => (paths.add(n.path), n.children && walk(n.children as never)))
    walk(mapped.tree)
    for (const e of lineage) expect(paths.has(e.path) || [...paths].some((p) => e.path.startsWith(`${p}/`)), e.path).toBe(true)
    expect(JSON.stringify(lineage)).not.toMatch(/QUINTERO|ELENA|LIN1/)
  })

  it('follows the appointment set for an SIU', async () => {
    const id = await settle(siuMsg({ control: 'L2', trigger: 'S12', appt: 'APLIN', mrn: 'LIN1' }))
    const v = await t.call<InspectorView>('inspector.view', { id })
    const lineage = v.stages.find((s) => s.stage === 'mapped')!.lineage!
    const start = lineage.find((e) => e.path.startsWith('/appointment/') && e.sources.some((s) => s.startsWith('SCH-11') || s.startsWith('AIS') || s.startsWith('TQ1')))
    expect(start).toMatchObject({ mappingSet: 'hl7.siu.appointment.in' })
  })
})

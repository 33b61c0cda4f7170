/**
 * The engine compiles a set once and remembers it per set object. A publish or a roll back must
 * still take effect on the very next record: the store hands out a new set for every version.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestEngine, type TestEngine } from '../foundation/support/harness'
import { csvConnector, csvPatient } from './support'

const P = 'sandbox'
const KEY = 'csv.patient.in'

describe('compiled mapping sets follow published versions', () => {
  let t: TestEngine
  beforeEach(async () => {
    t = await openTestEngine({ modules: [csvConnector] })
  })
  afterEach(async () => {
    await t.stop()
  })

  const firstNameOf = async (id: string): Promise<unknown> => {
    await t.engine.ctx.pipeline.receive({ practiceId: P, connector: 'csvtest', channel: 'files', direction: 'in', contentType: 'csv', raw: Buffer.from(csvPatient(id)) })
    await t.engine.ctx.pipeline.idle()
    return t.engine.ctx.records.findByExternalId(P, 'patient', 'csvtest', id)?.data.first_name
  }

  // The shipped tests expect the shipped names, so these deliberate changes are published past them.
  const publish = async (comment: string, transforms: unknown[]): Promise<void> => {
    const r = await t.call<{ published: boolean }>('mappings.publish', { practiceId: P, key: KEY, comment, acceptFailures: 'names change on purpose', override: { baseKey: KEY, fields: [{ id: 'first_name', target: 'first_name', source: 'FIRST', transforms }] } })
    expect(r.published).toBe(true)
  }

  it('maps the next record with the version published in between, and again after a roll back', async () => {
    expect(await firstNameOf('p1')).toBe('Elena')

    await publish('names as written, in capitals', [{ op: 'trim' }, { op: 'upper' }])
    expect(await firstNameOf('p2')).toBe('ELENA7')

    await publish('lower case now', [{ op: 'lower' }])
    expect(await firstNameOf('p3')).toBe('elena7')

    await t.call('mappings.rollback', { practiceId: P, key: KEY, version: 0 })
    expect(await firstNameOf('p4')).toBe('Elena')
  })
})

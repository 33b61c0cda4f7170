/**
 * The sandbox's `listTotalcount` option: list envelopes and changed feeds carry `totalcount` as a
 * number (default, M), as a string (seen on some athena endpoints, M), or not at all (U), so the
 * client's progress estimate can be tested in each case.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { api, start, token, type Started } from './helpers'

let s: Started | null = null
afterEach(async () => {
  await s?.sb.close()
  s = null
})

async function lists(opts: Parameters<typeof start>[0]) {
  s = await start({ patientCount: 30, ...opts })
  const tok = await token(s.sb)
  await api(s.sb, tok, 'POST', '/patients/changed/subscription', {})
  s.sb.simulateChanges(3)
  return {
    patients: (await api(s.sb, tok, 'GET', '/patients?departmentid=1&limit=2')).json,
    changed: (await api(s.sb, tok, 'GET', '/patients/changed?leaveunprocessed=true')).json,
  }
}

describe('sandbox totalcount option', () => {
  it('sends a number by default, a string or nothing when asked', async () => {
    const n = await lists({})
    expect(typeof n.patients.totalcount).toBe('number')
    expect(n.patients.totalcount).toBeGreaterThan(2)
    expect(typeof n.changed.totalcount).toBe('number')
    await s!.sb.close()

    const str = await lists({ listTotalcount: 'string' })
    expect(str.patients.totalcount).toBe(String(n.patients.totalcount))
    expect(typeof str.changed.totalcount).toBe('string')
    await s!.sb.close()

    const none = await lists({ listTotalcount: 'absent' })
    expect(none.patients).not.toHaveProperty('totalcount')
    expect(none.patients.patients).toHaveLength(2)
    expect(none.patients.next).toContain('offset=2')
    expect(none.changed).not.toHaveProperty('totalcount')
  })
})

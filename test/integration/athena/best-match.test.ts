/**
 * athenaNet best-match as a person uses it: athena's enhanced best-match proposes candidates with
 * its own score, and the product's one matcher (the one file imports and HL7 use) grades each pair
 * with its reasons, so a twin that athena scores high is still flagged for review, not linked.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { athena, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

interface Candidate {
  athenaId: string
  firstName: string
  score: number | null
  match: { grade: string | null; score: number; reasons: string[] } | null
}

describe('athena.bestMatch', () => {
  it("grades athena's candidates with the product's matcher, best first, a twin sent to review", async () => {
    a = await startAthenaTest()
    const c = athena(a).runtime.client('acme')
    const create = async (firstname: string) => {
      const r = await c.post('/patients', { firstname, lastname: 'Quenneville', dob: '03/14/1985', departmentid: 1, sex: 'F', zip: '02139', mobilephone: '6175550143' })
      return String((r.body as { patientid: string }[])[0]!.patientid)
    }
    const twin = await create('Oriana')
    const odalys = await create('Odalys')

    const r = await a.call<{ patients: Candidate[] }>('athena.bestMatch', { practiceId: 'acme', firstName: 'Odalys', lastName: 'Quenneville', dob: '1985-03-14', zip: '02139', phone: '(617) 555-0143' })
    expect(r.patients.map((p) => p.athenaId)).toEqual([odalys, twin])
    const [best, other] = r.patients
    // athena's own score is kept beside the matcher's.
    expect(best!.score).toBeGreaterThan(other!.score!)
    expect(best!.match).toMatchObject({ grade: 'certain', reasons: expect.arrayContaining([expect.stringMatching(/^dob\.exact \+/), expect.stringMatching(/^phone\.agree \+/)]) })
    // Same birth date, last name, address and phone, another given name: proposed for review only.
    expect(other!.match!.grade).toBe('possible')
    expect(other!.match!.reasons).toContain('review: possible twins (same birth date and last name, different given names)')
  })
})

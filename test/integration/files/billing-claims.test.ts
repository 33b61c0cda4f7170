import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClaimFile, ClaimIssue, ClaimSummary } from '../../../shared/billing'
import { el, readX12, type X12Segment } from '../../../electron/engine/connectors/files/x12/x12-segments'
import { CORPUS_ROOT } from '../../support/corpus-dir'
import { adtMsg, BILLING_NPI, CLAIM_SETTINGS, dft, openBillingEngine, RENDERING_NPI, type BillingTest } from './billing-support'

type Generated = { file: ClaimFile | null; claims: ClaimSummary[]; refused: ClaimIssue[] }

/** The loops of an 837P in order (segment id + qualifier), ignoring what repeats inside them. */
function skeleton(segs: X12Segment[]): string[] {
  const key = (s: X12Segment): string | null => {
    switch (s.id) {
      case 'NM1':
        return ['41', '40', '85', 'IL', 'PR', 'QC'].includes(el(s, 1)) ? `NM1*${el(s, 1)}` : null
      case 'HL':
        return `HL*${el(s, 3)}`
      case 'ISA': case 'GS': case 'ST': case 'BHT': case 'SBR': case 'CLM': case 'HI': case 'SE': case 'GE': case 'IEA':
        return s.id
      default:
        return null
    }
  }
  return segs.map(key).filter((k): k is string => k !== null)
}

/** Structural rules every 837P here must keep (the corpus demos and ours alike). */
function checkStructure(segs: X12Segment[]): void {
  const st = segs.findIndex((s) => s.id === 'ST')
  const se = segs.findIndex((s) => s.id === 'SE')
  expect(Number(el(segs[se], 1))).toBe(se - st + 1)
  expect(el(segs[se], 2)).toBe(el(segs[st], 2))
  expect(el(segs.find((s) => s.id === 'GS'), 6)).toBe(el(segs.find((s) => s.id === 'GE'), 2))
  expect(el(segs[0], 13)).toBe(el(segs.find((s) => s.id === 'IEA'), 2))
  expect(el(segs.find((s) => s.id === 'GS'), 1)).toBe('HC')
  const sk = skeleton(segs)
  expect(sk.slice(0, 7)).toEqual(['ISA', 'GS', 'ST', 'BHT', 'NM1*41', 'NM1*40', 'HL*20'])
  expect(sk.slice(-3)).toEqual(['SE', 'GE', 'IEA'])
  // Every claim: subscriber HL, SBR, NM1*IL, NM1*PR (patient HL optional), then CLM and HI.
  for (let i = sk.indexOf('HL*22'); i >= 0; i = sk.indexOf('HL*22', i + 1)) {
    const next = sk.slice(i, sk.indexOf('CLM', i) + 2)
    expect(next.slice(0, 4)).toEqual(['HL*22', 'SBR', 'NM1*IL', 'NM1*PR'])
    expect(next.slice(-2)).toEqual(['CLM', 'HI'])
  }
  // HL parents point back to an earlier HL.
  const hls = segs.filter((s) => s.id === 'HL')
  hls.forEach((h, i) => {
    expect(Number(el(h, 1))).toBe(i + 1)
    if (el(h, 2) !== '') expect(Number(el(h, 2))).toBeLessThan(i + 1)
  })
  // Claim totals: CLM02 = Σ SV102 of its lines.
  let clm: X12Segment | null = null
  let sum = 0
  const close = (): void => {
    if (clm) expect(Math.round(Number(el(clm, 2)) * 100)).toBe(Math.round(sum * 100))
  }
  for (const s of segs) {
    if (s.id === 'CLM' || s.id === 'HL' || s.id === 'SE') {
      close()
      clm = s.id === 'CLM' ? s : null
      sum = 0
    }
    if (s.id === 'SV1') sum += Number(el(s, 2))
  }
}

describe('837P claim files from DFT^P03 charges', () => {
  let b: BillingTest
  const out = mkdtempSync(join(tmpdir(), 'ps-claims-out-'))
  beforeAll(async () => {
    b = await openBillingEngine()
    await b.t.call('billing.saveSettings', { practiceId: 'sandbox', settings: { ...CLAIM_SETTINGS, outputFolder: out } })
    await b.send(adtMsg({ control: 'A1', mrn: 'M100' }))
    await b.send(adtMsg({ control: 'A2', mrn: 'M200', last: 'NOINS', extra: [] }).replace(/\rIN1\|[^\r]*/g, ''))
    await b.send(dft({ control: 'F1', mrn: 'M100', visit: 'V1', lines: [
      { id: 'T1', cpt: '99213', amount: '150.00', dx: ['R07.9', 'I10'], mods: ['25'] },
      { id: 'T2', cpt: '93000', amount: '45.50', dx: ['R07.9'], qty: 2 },
    ] }))
    await b.send(dft({ control: 'F2', mrn: 'M100', visit: 'V2', lines: [{ id: 'T3', cpt: 'G0439', amount: '210.00', dx: ['Z00.00'], date: '20260402' }] }))
    await b.send(dft({ control: 'F3', mrn: 'M200', visit: 'V3', lines: [{ id: 'T4', cpt: '9921', amount: '80.00', dx: ['XYZ'] }] }))
  })
  afterAll(async () => {
    await b.close()
    rmSync(out, { recursive: true, force: true })
  })

  it('writes valid claims, refuses the invalid one with every problem, and delivers by temp name + rename', async () => {
    const g = await b.t.call<Generated>('billing.generateClaims', { practiceId: 'sandbox' })
    expect(g.claims.map((c) => [c.pcn, c.totalCents, c.lineCount, c.payerId])).toEqual([
      ['PS00000001', 19550, 2, 'BCBSMA01'],
      ['PS00000002', 21000, 1, 'BCBSMA01'],
    ])
    expect(g.file).toMatchObject({ format: '837p', claimCount: 2, totalCents: 40550, controlNumber: 1000 })
    const msgs = g.refused.map((i) => i.path)
    expect(msgs).toEqual(expect.arrayContaining(['subscriber.memberId', 'payer.id', 'diagnoses.0', 'lines.0.procedure']))
    expect(new Set(g.refused.map((i) => i.chargeIds.length))).toEqual(new Set([1]))
    expect(readdirSync(out)).toEqual([g.file!.fileName])
  })

  it('the file parses back and every field matches the charges, patient, insurance and settings', async () => {
    const f = (await b.t.call<ClaimFile[]>('billing.claimFiles', { practiceId: 'sandbox' }))[0]!
    const { content } = await b.t.call<{ content: string }>('billing.claimFileContent', { practiceId: 'sandbox', id: f.id })
    expect(readFileSync(join(out, f.fileName), 'latin1')).toBe(content)
    const { segments: s, delimiters } = await readX12(content)
    expect(delimiters).toEqual({ element: '*', component: ':', repetition: '^', segment: '~' })
    checkStructure(s)
    const find = (id: string, q?: string, n = 0): X12Segment => s.filter((x) => x.id === id && (q === undefined || el(x, 1) === q))[n]!
    expect(el(s[0], 6).trim()).toBe('RIVERSIDE')
    expect(el(s[0], 13)).toBe('000001000')
    expect(el(s[0], 15)).toBe('T')
    expect(el(find('GS'), 8)).toBe('005010X222A1')
    expect(el(find('ST'), 3)).toBe('005010X222A1')
    expect(el(find('NM1', '41'), 9)).toBe('SUB123')
    expect(el(find('NM1', '40'), 9)).toBe('CLEARHOUSE1')
    expect([el(find('NM1', '85'), 8), el(find('NM1', '85'), 9)]).toEqual(['XX', BILLING_NPI])
    expect(el(find('REF', 'EI'), 2)).toBe('123456789')
    expect([el(find('SBR'), 1), el(find('SBR'), 2), el(find('SBR'), 3)]).toEqual(['P', '18', 'GRP-7731'])
    const il = find('NM1', 'IL')
    expect([el(il, 3), el(il, 4), el(il, 8), el(il, 9)]).toEqual(['QUINTERO', 'ELENA', 'MI', 'XZB123456789'])
    expect([el(find('DMG'), 2), el(find('DMG'), 3)]).toEqual(['19870618', 'F'])
    expect(el(find('NM1', 'PR'), 9)).toBe('BCBSMA01')
    const clm = find('CLM')
    expect([el(clm, 1), el(clm, 2), el(clm, 5, 1), el(clm, 5, 2), el(clm, 5, 3)]).toEqual(['PS00000001', '195.5', '11', 'B', '1'])
    expect(find('HI').elements).toEqual([['ABK', 'R079'], ['ABF', 'I10']])
    expect(el(find('NM1', '82'), 9)).toBe(RENDERING_NPI)
    const sv = s.filter((x) => x.id === 'SV1')
    expect(sv.map((x) => [x.elements[0], el(x, 2), el(x, 3), el(x, 4), x.elements[6]])).toEqual([
      [['HC', '99213', '25'], '150', 'UN', '1', ['1', '2']],
      [['HC', '93000'], '45.5', 'UN', '2', ['1']],
      [['HC', 'G0439'], '210', 'UN', '1', ['1']],
    ])
    expect(s.filter((x) => x.id === 'DTP' && el(x, 1) === '472').map((x) => el(x, 3))).toEqual(['20260401', '20260401', '20260402'])
  })

  it('has the shape of every 837P in the corpus', async () => {
    const dir = join(CORPUS_ROOT, 'x12', '837P')
    const samples = readdirSync(dir)
    expect(samples.length).toBeGreaterThanOrEqual(6)
    for (const name of samples) checkStructure((await readX12(readFileSync(join(dir, name)))).segments)
  })

  it('never sends a claim twice: a second run finds nothing new; only a replacement or void goes out again', async () => {
    const again = await b.t.callRaw('billing.generateClaims', { practiceId: 'sandbox' })
    expect(again.ok).toBe(false)
    expect(again.error?.code).toBe('validation_error') // only the still-invalid claim is pending
    const claims = await b.t.call<ClaimSummary[]>('billing.claims', { practiceId: 'sandbox' })
    expect(claims).toHaveLength(2)
    // No payer claim control number yet: a replacement is refused, saying why.
    const early = await b.t.callRaw('billing.resubmitClaim', { practiceId: 'sandbox', claimId: claims[0]!.id, frequency: '7' })
    expect(early.error?.message).toMatch(/payer’s claim control number/)
    // The payer's 835 tells us its ICN; then a replacement carries CLM05-3 = 7 and REF*F8.
    const remit = [
      'ISA*00*          *00*          *ZZ*BCBSMA         *ZZ*RIVERSIDE      *260410*1200*^*00501*000000077*0*T*:~',
      'GS*HP*BCBSMA*RIVERSIDE*20260410*1200*77*X*005010X221A1~', 'ST*835*0001~', 'BPR*I*200*C*ACH*CCP*01*111*DA*22*1000000000**01*333*DA*44*20260410~',
      'TRN*1*EFT7788*1000000000~', 'N1*PR*BLUE CROSS~', 'N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893~', 'LX*1~',
      'CLP*PS00000001*1*195.5*200*0*12*ICN555~', 'CAS*CO*45*-4.5~', 'SE*10*0001~', 'GE*1*77~', 'IEA*1*000000077~',
    ].join('\n')
    await b.t.call('billing.importRemittance', { practiceId: 'sandbox', fileName: 'bcbs.835', content: remit })
    const g = await b.t.call<Generated>('billing.resubmitClaim', { practiceId: 'sandbox', claimId: claims[0]!.id, frequency: '7' })
    const { content } = await b.t.call<{ content: string }>('billing.claimFileContent', { practiceId: 'sandbox', id: g.file!.id })
    const { segments } = await readX12(content)
    checkStructure(segments)
    const clm = segments.find((x) => x.id === 'CLM')!
    expect([el(clm, 1), el(clm, 5, 3)]).toEqual(['PS00000001', '7'])
    expect(segments.find((x) => x.id === 'REF' && el(x, 1) === 'F8')?.elements[1]).toEqual(['ICN555'])
    expect(el(segments[0], 13)).toBe('000001001')
    const audit = b.t.engine.ctx.db.prepare("SELECT action FROM audit_log WHERE action LIKE 'billing.%' ORDER BY seq").all() as { action: string }[]
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['billing.generateClaims', 'billing.claimFileContent', 'billing.importRemittance', 'billing.replaceClaim']))
  })

  it('a CSV claim batch is the alternative format, formula-safe', async () => {
    await b.send(dft({ control: 'F4', mrn: 'M100', visit: 'V9', lines: [{ id: 'T9', cpt: '99214', amount: '120.00', dx: ['J06.9'] }] }))
    const g = await b.t.call<Generated>('billing.generateClaims', { practiceId: 'sandbox', format: 'csv' })
    expect(g.file).toMatchObject({ format: 'csv', claimCount: 1, controlNumber: null })
    const { content } = await b.t.call<{ content: string }>('billing.claimFileContent', { practiceId: 'sandbox', id: g.file!.id })
    const [header, row] = content.trim().split('\r\n')
    expect(header!.split(',').slice(0, 3)).toEqual(['pcn', 'frequency', 'payer_icn'])
    expect(row).toContain('PS00000003,1,,BCBSMA01')
    expect(row).toContain('J069')
  })
})

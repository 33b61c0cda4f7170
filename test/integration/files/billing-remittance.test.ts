import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClaimSummary, Reconciliation, RemittanceClaim } from '../../../shared/billing'
import { CORPUS_ROOT } from '../../support/corpus-dir'
import { billingRuntime } from '../../../electron/engine/connectors/files/billing/runtime'
import { adtMsg, CLAIM_SETTINGS, dft, openBillingEngine, remit835, type BillingTest } from './billing-support'

type ImportResult = { transactions: Array<{ trace: string; outcome: string; remittanceId: number | null; problems: string[] }>; depositsMatched: number }

describe('835 remittances, deposits and reconciliation', () => {
  let b: BillingTest
  const rec = (): Promise<Reconciliation> => b.t.call<Reconciliation>('billing.reconciliation', { practiceId: 'sandbox', from: '2026-04-01', to: '2026-04-30' })
  const importRemit = (content: string, practiceId = 'sandbox', fileName = 'remit.835'): Promise<ImportResult> => b.t.call<ImportResult>('billing.importRemittance', { practiceId, fileName, content })

  beforeAll(async () => {
    b = await openBillingEngine()
    await b.t.call('billing.saveSettings', { practiceId: 'sandbox', settings: CLAIM_SETTINGS })
    await b.t.call('practices.create', { id: 'corpus', name: 'Corpus practice', timeZone: 'America/Chicago' })
    await b.send(adtMsg({ control: 'A1', mrn: 'M100' }))
    const charges: Array<[string, string]> = [['99213', '100.00'], ['99214', '200.00'], ['99215', '300.00'], ['99212', '40.00']]
    for (const [i, [cpt, amount]] of charges.entries()) await b.send(dft({ control: `F${i}`, mrn: 'M100', visit: `V${i}`, lines: [{ id: `T${i}`, cpt, amount, dx: ['I10'] }] }))
    const g = await b.t.call<{ claims: ClaimSummary[] }>('billing.generateClaims', { practiceId: 'sandbox' })
    expect(g.claims.map((c) => c.pcn)).toEqual(['PS00000001', 'PS00000002', 'PS00000003', 'PS00000004'])
  })
  afterAll(() => b.close())

  it('imports every 835 of the corpus balanced, and posts each once', async () => {
    const dir = join(CORPUS_ROOT, 'x12', '835')
    for (const name of readdirSync(dir)) {
      const content = readFileSync(join(dir, name), 'latin1')
      const first = await importRemit(content, 'corpus', name)
      expect(first.transactions.map((t) => [t.outcome, t.problems])).toEqual(first.transactions.map(() => ['posted', []]))
      const again = await importRemit(content, 'corpus', `${name}.resent`)
      expect(again.transactions.map((t) => [t.outcome, t.remittanceId])).toEqual(first.transactions.map((t) => ['duplicate', t.remittanceId]))
    }
    const posted = b.t.engine.ctx.db.prepare("SELECT count(*) AS n FROM remittances WHERE practice_id = 'corpus' AND status = 'posted'").get() as { n: number }
    expect(posted.n).toBe(readdirSync(dir).length)
  })

  it('refuses an unbalanced file: reported with its problems, nothing posted', async () => {
    const good = readFileSync(join(CORPUS_ROOT, 'x12', '835', 'linuxforhealth__managed-care.835'), 'latin1')
    const bad = good.replace('CLP*5554555444*1*800.00*450.00', 'CLP*5554555444*1*800.00*460.00').replace('TRN*1*7170066655', 'TRN*1*7170066656')
    const r = await importRemit(bad, 'corpus', 'bad.835')
    expect(r.transactions[0]).toMatchObject({ outcome: 'unbalanced' })
    expect(r.transactions[0]!.problems.join(' ')).toMatch(/Claim 1 \(5554555444\): charge 800.00 − adjustments 350.00 = 450.00, but the claim pays 460.00/)
    expect(r.transactions[0]!.problems.join(' ')).toMatch(/Payment 945.00 \(BPR02\) ≠ claims paid 955.00/)
    const n = b.t.engine.ctx.db.prepare("SELECT count(*) AS n FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id WHERE r.trace = '7170066656'").get() as { n: number }
    expect(n.n).toBe(0)
  })

  it('reconciles partial payments, a denial, a reversal with its correction and a PLB recoupment against deposits', async () => {
    // First payment: claim 3 paid 250 of 300.
    await importRemit(remit835({ trace: 'R1', amount: '250', date: '20260410', body: ['CLP*PS00000003*1*300*250**12*ICN3', 'CAS*CO*45*50'] }))
    // Second: claim 1 partly paid (deductible), claim 2 denied, claim 3 reversed and corrected, 15.00 recouped.
    const r2 = await importRemit(remit835({
      trace: 'R2', amount: '65', date: '20260417', body: [
        'CLP*PS00000001*1*100*60*20*12*ICN1', 'CAS*PR*1*20', 'CAS*CO*45*20',
        'CLP*PS00000002*4*200*0**12*ICN2', 'CAS*CO*50*200',
        'CLP*PS00000003*22*-300*-250**12*ICN3', 'CAS*CO*45*-50',
        'CLP*PS00000003*1*300*270**12*ICN3B', 'CAS*CO*45*30',
        'PLB*1234567893*20261231*WO:ICN9*15',
      ],
    }))
    expect(r2.transactions[0]!.outcome).toBe('posted')
    // Third: claim 4 paid, never deposited.
    await importRemit(remit835({ trace: 'R3', amount: '40', date: '20260420', body: ['CLP*PS00000004*1*40*40**12*ICN4'] }))
    // The bank: R1 and R2 arrived (R1 with leading zeros), plus a deposit nobody remitted.
    const dep = await b.t.call<{ created: number; rejected: unknown[]; matched: number }>('billing.importDeposits', {
      practiceId: 'sandbox', fileName: 'bank.csv', content: 'Date,Amount,Trace Number\n2026-04-11,250.00,000R1\n04/18/2026,"$65.00",R2\n2026-04-21,99.00,X9\nnot a date,1,Z\n',
    })
    expect(dep).toMatchObject({ created: 3, matched: 2, rejected: [{ line: 5, message: expect.stringMatching(/not YYYY-MM-DD/) }] })

    const claims = await b.t.call<ClaimSummary[]>('billing.claims', { practiceId: 'sandbox' })
    expect(claims.map((c) => [c.pcn, c.status, c.paidCents])).toEqual([
      ['PS00000001', 'partial', 6000],
      ['PS00000002', 'denied', 0],
      ['PS00000003', 'paid', 27000],
      ['PS00000004', 'paid', 4000],
    ])
    const remits = await b.t.call<Array<{ id: number; trace: string }>>('billing.remittances', { practiceId: 'sandbox' })
    const second = remits.find((r) => r.trace === 'R2')!
    const rcs = await b.t.call<RemittanceClaim[]>('billing.remittanceClaims', { practiceId: 'sandbox', remittanceId: second.id })
    const reversal = rcs.find((c) => c.statusCode === '22')!
    const correction = rcs.find((c) => c.payerIcn === 'ICN3B')!
    expect([reversal.classification, reversal.pairedWith, correction.pairedWith]).toEqual(['reversed', correction.id, reversal.id])
    expect(rcs.find((c) => c.pcn === 'PS00000002')!.adjustments).toEqual([{ group: 'CO', reason: '50', cents: 20000, words: 'Contractual obligation: Non-covered: not deemed a medical necessity by the payer' }])

    const r = await rec()
    expect(r).toMatchObject({
      expectedCents: 64000,
      paidCents: 6000 + 27000 + 4000,
      depositedCents: 25000 + 6500 + 9900,
      plbCents: 1500,
      claims: { sent: 4, paid: 2, partial: 1, denied: 1, reversed: 0, unpaid: 0 },
    })
    expect(r.denialsByReason).toEqual([{ group: 'CO', reason: '50', words: expect.stringContaining('medical necessity'), claims: 1, cents: 20000 }])
    expect(r.remittancesWithoutDeposit.map((x) => x.trace)).toEqual(['R3'])
    expect(r.depositsWithoutRemittance.map((d) => d.trace)).toEqual(['X9'])
    expect(r.unmatchedRemitClaims).toEqual([])
    const exp = await b.t.call<{ fileName: string; content: string }>('billing.exportReconciliation', { practiceId: 'sandbox', from: '2026-04-01', to: '2026-04-30' })
    expect(exp.content).toContain('deposit without remittance,X9,bank.csv,99.00,2026-04-21')
    expect(exp.content).toContain('denial,CO-50,')
  })

  it('the same 835 sent twice posts once, and an amount that differs from the deposit is flagged', async () => {
    const r4 = remit835({ trace: 'R4', amount: '10', date: '20260422', body: ['CLP*UNKNOWN-PCN*1*10*10**12*ICNX'] })
    expect((await importRemit(r4)).transactions[0]!.outcome).toBe('posted')
    expect((await importRemit(r4, 'sandbox', 'again.835')).transactions[0]!.outcome).toBe('duplicate')
    await b.t.call('billing.importDeposits', { practiceId: 'sandbox', fileName: 'bank2.csv', content: 'date,amount,check number\n2026-04-23,11.00,R4\n' })
    const r = await rec()
    expect(r.unmatchedRemitClaims.map((c) => c.pcn)).toEqual(['UNKNOWN-PCN'])
    expect(r.amountMismatches).toEqual([expect.objectContaining({ trace: 'R4', remitCents: 1000, depositCents: 1100 })])
    const n = b.t.engine.ctx.db.prepare("SELECT count(*) AS n FROM remittance_claims WHERE pcn = 'UNKNOWN-PCN'").get() as { n: number }
    expect(n.n).toBe(1)
  })

  it('posts and records in one commit: a record that fails leaves nothing posted, and the retry posts instead of reporting "already posted"', async () => {
    const svc = billingRuntime.find(b.t.engine.ctx)!
    const bytes = Buffer.from(remit835({ trace: 'ATOM1', amount: '40', date: '20260520', body: ['CLP*PS00000004*1*40*40**12*ICN4'] }), 'latin1')
    const posted = () => (b.t.engine.ctx.db.prepare("SELECT count(*) AS n FROM remittances WHERE trace = 'ATOM1' AND status = 'posted'").get() as { n: number }).n
    // A file job's row ledger runs inside the posting's transaction; here it fails as a crash would.
    await expect(svc.importRemittance('sandbox', 'atom.835', bytes, 'tester', () => { throw new Error('crash before the record') })).rejects.toThrow('crash before the record')
    expect(posted()).toBe(0)
    const recorded: string[] = []
    const r = await svc.importRemittance('sandbox', 'atom.835', bytes, 'tester', (x) => recorded.push(...x.transactions.map((t) => t.outcome)))
    expect(r.transactions.map((t) => t.outcome)).toEqual(['posted'])
    expect(recorded).toEqual(['posted'])
    expect(posted()).toBe(1)
  })
})

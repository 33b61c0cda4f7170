/**
 * An 835 (005010X221A1) remittance as data, and its balancing. One file may hold several
 * transactions (ST…SE), each with its own payment (BPR) and trace (TRN): each is one remittance.
 * Positive CAS / PLB amounts reduce the payment, negative ones increase it (files.md §4.3).
 */
import { AppError } from '../../../../../shared/errors'
import { el, readX12, toCents, type X12Segment } from '../x12/x12-segments'

export interface RemitAdjustment {
  group: string
  reason: string
  cents: number
}

export interface RemitLine {
  procedure: string
  modifiers: string[]
  chargeCents: number
  paidCents: number
  units: string
  adjustments: RemitAdjustment[]
}

export interface RemitClaim {
  pcn: string
  status: string
  chargeCents: number
  paidCents: number
  patientRespCents: number
  filing: string
  icn: string
  adjustments: RemitAdjustment[]
  lines: RemitLine[]
}

export interface RemitPlb {
  provider: string
  fiscalDate: string
  reason: string
  reference: string
  cents: number
}

export interface Remit835 {
  /** ST02 */
  control: string
  handling: string
  paymentCents: number
  creditDebit: string
  method: string
  paymentDate: string | null
  trace: string
  payerTin: string
  payerName: string
  payeeName: string
  payeeId: string
  claims: RemitClaim[]
  plb: RemitPlb[]
}

export interface Interchange835 {
  senderId: string
  controlNumber: string
  transactions: Remit835[]
}

const money = (seg: X12Segment, n: number, what: string): number => {
  const raw = el(seg, n)
  if (raw === '') return 0
  const c = toCents(raw)
  if (c === null) throw new AppError('parse_error', `${seg.id}${String(n).padStart(2, '0')} (${what}) is not an amount.`, { retryable: false })
  return c
}

const ymd = (s: string): string | null => (/^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : null)

/** CAS: a group then up to six reason/amount/quantity triplets. */
function casOf(seg: X12Segment): RemitAdjustment[] {
  const out: RemitAdjustment[] = []
  const group = el(seg, 1)
  for (let i = 2; i <= 17; i += 3) {
    const reason = el(seg, i)
    if (reason === '') continue
    out.push({ group, reason, cents: money(seg, i + 1, `adjustment amount for ${group}-${reason}`) })
  }
  return out
}

/** SVC01 composite; some senders use '>' inside while ISA16 says ':' (a corpus file does): read both. */
function procedureOf(seg: X12Segment): { procedure: string; modifiers: string[] } {
  let comps = seg.elements[0] ?? []
  if (comps.length === 1 && comps[0]?.includes('>')) comps = comps[0].split('>')
  return { procedure: comps[1] ?? comps[0] ?? '', modifiers: comps.slice(2, 6).filter((m) => m !== '') }
}

export async function parse835(bytes: Buffer | string): Promise<Interchange835> {
  const { segments } = await readX12(bytes)
  return interpret835(segments)
}

export function interpret835(segments: X12Segment[]): Interchange835 {
  const isa = segments[0]
  const out: Interchange835 = { senderId: el(isa, 6).trim(), controlNumber: el(isa, 13).trim(), transactions: [] }
  let tx: Remit835 | null = null
  let claim: RemitClaim | null = null
  let line: RemitLine | null = null
  let n1 = ''
  for (const seg of segments) {
    switch (seg.id) {
      case 'ST':
        if (el(seg, 1) !== '835') throw new AppError('unsupported_message', `Transaction set ${el(seg, 1)} is not an 835 remittance.`, { retryable: false })
        tx = { control: el(seg, 2), handling: '', paymentCents: 0, creditDebit: 'C', method: '', paymentDate: null, trace: '', payerTin: '', payerName: '', payeeName: '', payeeId: '', claims: [], plb: [] }
        claim = null
        line = null
        out.transactions.push(tx)
        break
      case 'BPR':
        if (!tx) break
        tx.handling = el(seg, 1)
        tx.paymentCents = money(seg, 2, 'total payment')
        tx.creditDebit = el(seg, 3) || 'C'
        tx.method = el(seg, 4)
        tx.paymentDate = ymd(el(seg, 16))
        break
      case 'TRN':
        if (!tx) break
        tx.trace = el(seg, 2)
        tx.payerTin = el(seg, 3)
        break
      case 'N1':
        n1 = el(seg, 1)
        if (!tx) break
        if (n1 === 'PR') tx.payerName = el(seg, 2)
        if (n1 === 'PE') {
          tx.payeeName = el(seg, 2)
          tx.payeeId = el(seg, 4)
        }
        break
      case 'CLP':
        if (!tx) break
        claim = {
          pcn: el(seg, 1),
          status: el(seg, 2),
          chargeCents: money(seg, 3, 'claim charge'),
          paidCents: money(seg, 4, 'claim payment'),
          patientRespCents: money(seg, 5, 'patient responsibility'),
          filing: el(seg, 6),
          icn: el(seg, 7),
          adjustments: [],
          lines: [],
        }
        line = null
        tx.claims.push(claim)
        break
      case 'SVC': {
        if (!claim) break
        const p = procedureOf(seg)
        line = { ...p, chargeCents: money(seg, 2, 'line charge'), paidCents: money(seg, 3, 'line payment'), units: el(seg, 5) || '1', adjustments: [] }
        claim.lines.push(line)
        break
      }
      case 'CAS':
        if (line) line.adjustments.push(...casOf(seg))
        else if (claim) claim.adjustments.push(...casOf(seg))
        break
      case 'PLB':
        if (!tx) break
        // Reason:reference / amount pairs from PLB03 on, up to six.
        for (let i = 3; i <= 13; i += 2) {
          const reason = el(seg, i, 1)
          if (reason === '') continue
          tx.plb.push({ provider: el(seg, 1), fiscalDate: el(seg, 2), reason, reference: el(seg, i, 2), cents: money(seg, i + 1, `provider adjustment ${reason}`) })
        }
        claim = null
        line = null
        break
      case 'SE':
        claim = null
        line = null
        break
    }
  }
  if (out.transactions.length === 0) throw new AppError('parse_error', 'The file holds no 835 transaction (no ST*835).', { retryable: false })
  for (const t of out.transactions) {
    if (t.trace === '') throw new AppError('parse_error', `Transaction ${t.control} has no TRN trace number: it cannot be told apart from a re-sent file.`, { retryable: false })
  }
  return out
}

const amt = (c: number): string => (c / 100).toFixed(2)
const sum = (xs: RemitAdjustment[]): number => xs.reduce((a, x) => a + x.cents, 0)

/**
 * Every balancing problem of one transaction, in words ([] = balanced):
 * BPR02 = Σ CLP04 − Σ PLB; per claim CLP03 − Σ CAS (claim and lines) = CLP04; per line SVC02 − Σ CAS = SVC03.
 */
export function balanceProblems(t: Remit835): string[] {
  const problems: string[] = []
  t.claims.forEach((c, i) => {
    c.lines.forEach((l, j) => {
      const expect = l.chargeCents - sum(l.adjustments)
      if (expect !== l.paidCents) problems.push(`Claim ${i + 1} (${c.pcn}) line ${j + 1}: charge ${amt(l.chargeCents)} − adjustments ${amt(sum(l.adjustments))} = ${amt(expect)}, but the line pays ${amt(l.paidCents)}.`)
    })
    const adj = sum(c.adjustments) + c.lines.reduce((a, l) => a + sum(l.adjustments), 0)
    if (c.chargeCents - adj !== c.paidCents) problems.push(`Claim ${i + 1} (${c.pcn}): charge ${amt(c.chargeCents)} − adjustments ${amt(adj)} = ${amt(c.chargeCents - adj)}, but the claim pays ${amt(c.paidCents)}.`)
  })
  const paid = t.claims.reduce((a, c) => a + c.paidCents, 0)
  const plb = t.plb.reduce((a, p) => a + p.cents, 0)
  const payment = t.creditDebit === 'D' ? -t.paymentCents : t.paymentCents
  if (paid - plb !== payment) problems.push(`Payment ${amt(payment)} (BPR02) ≠ claims paid ${amt(paid)} − provider adjustments ${amt(plb)} = ${amt(paid - plb)}.`)
  return problems
}

export type RemitClass = 'paid' | 'partial' | 'denied' | 'reversed'

/**
 * Reversal: CLP02 = 22. Denied: CLP02 = 4, or nothing paid on a charge. Paid: everything not
 * paid was written off contractually (group CO). Partial: anything else the payer paid something on.
 */
export function classify(c: RemitClaim): RemitClass {
  if (c.status === '22') return 'reversed'
  if (c.status === '4' || (c.paidCents === 0 && c.chargeCents > 0)) return 'denied'
  const all = [...c.adjustments, ...c.lines.flatMap((l) => l.adjustments)]
  const contractual = all.filter((a) => a.group === 'CO').reduce((a, x) => a + x.cents, 0)
  return c.paidCents >= c.chargeCents - contractual ? 'paid' : 'partial'
}

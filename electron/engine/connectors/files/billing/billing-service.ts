/**
 * Billing file exchange: claims out (837P or CSV, validated first, each charge billed once, an
 * original sent once), remittances in (835, balanced before anything is posted, a trace posted
 * once), bank deposits in (CSV), and the reconciliation of the three.
 */
import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import { claimSettingsSchema, type ClaimFile, type ClaimIssue, type ClaimSettings, type ClaimSummary, type Reconciliation, type RemittanceClaim } from '../../../../../shared/billing'
import { AppError } from '../../../../../shared/errors'
import type { AuditLog } from '../../../audit/audit-log'
import type { Clock } from '../../../core/clock'
import type { Logger } from '../../../core/logger'
import type { PracticesRepo } from '../../../practices/practices-repo'
import type { RecordStore, StoredRecord } from '../../../records/record-store'
import type { Db } from '../../../store/database'
import { BillingStore, traceKey } from './billing-store'
import { carcWords, groupWords } from './carc'
import { validNpi, validateClaim, type ClaimDraft } from './claim-model'
import { draftOf, groupCharges, type ProviderInfo } from './claim-source'
import { toCsv } from './csv-out'
import { balanceProblems, classify, parse835, type Remit835 } from './remit-835'
import { write837p } from './x837p'

export interface BillingDeps {
  db: Db
  records: RecordStore
  practices: PracticesRepo
  audit: AuditLog
  clock: Clock
  logger: Logger
  /** athena's cached provider list (npi, names) for rendering providers known only by athena id. */
  athenaProviders?: (practiceId: string) => Array<{ id: string; data: Record<string, unknown> }>
}

export interface GenerateResult {
  file: ClaimFile | null
  claims: ClaimSummary[]
  refused: ClaimIssue[]
}

export interface RemitImportResult {
  fileName: string
  sha256: string
  transactions: Array<{ trace: string; payerTin: string; outcome: 'posted' | 'duplicate' | 'unbalanced'; remittanceId: number | null; claims: number; problems: string[] }>
  depositsMatched: number
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex')
const money = (c: number): string => (c / 100).toFixed(2)

export class BillingService {
  readonly store: BillingStore

  constructor(private readonly d: BillingDeps) {
    this.store = new BillingStore(d.db)
  }

  settings(practiceId: string): ClaimSettings {
    const p = this.d.practices.get(practiceId)
    const raw = p.settings.claims
    if (!raw) throw new AppError('validation_error', `Practice "${p.name}" has no claim settings yet (submitter, receiver, billing provider NPI and TIN): set them before generating claim files.`, { retryable: false })
    return claimSettingsSchema.parse(raw)
  }

  /** Charges (CG) not in any claim yet, optionally by service date. */
  pendingCharges(practiceId: string, from?: string, to?: string): StoredRecord[] {
    const billed = this.store.billedChargeIds(practiceId)
    const out: StoredRecord[] = []
    for (let after = 0; ; ) {
      const page = this.d.records.list(practiceId, 'financial_transaction', after, 1000)
      if (page.length === 0) break
      after = page[page.length - 1]?.id ?? after
      for (const r of page) {
        const t = String(r.data.transaction_type ?? 'CG').toUpperCase()
        const date = String(r.data.transaction_date ?? '')
        if (t !== 'CG' || billed.has(r.id)) continue
        if ((from && date < from) || (to && date > to)) continue
        out.push(r)
      }
    }
    return out
  }

  private providerLookup(practiceId: string): (id: string) => ProviderInfo | null {
    const athena = this.d.athenaProviders?.(practiceId) ?? []
    return (id) => {
      const rec = this.d.db.prepare("SELECT record_id FROM external_ids WHERE practice_id = ? AND kind = 'provider' AND value = ? LIMIT 1").get(practiceId, id) as { record_id: number } | undefined
      const r = rec ? this.d.records.get(rec.record_id) : null
      if (r) return { npi: String(r.data.npi ?? ''), lastName: String(r.data.last_name ?? ''), firstName: String(r.data.first_name ?? '') }
      const a = athena.find((p) => p.id === id)
      if (a) return { npi: String(a.data.npi ?? ''), lastName: String(a.data.lastname ?? ''), firstName: String(a.data.firstname ?? '') }
      // An XCN id that is itself an NPI (FT1-20.1 often is); the name from FT1-20.2/.3 is not kept, so the NM1 carries the NPI's holder as unknown.
      if (validNpi(id)) return { npi: id, lastName: '', firstName: '' }
      return null
    }
  }

  /** The claims the pending charges would make, each with its problems (nothing stored). */
  preview(practiceId: string, from?: string, to?: string): Array<{ draft: ClaimDraft; issues: ClaimIssue[] }> {
    const settings = this.settings(practiceId)
    const provider = this.providerLookup(practiceId)
    return groupCharges(this.pendingCharges(practiceId, from, to)).map((g) => {
      const draft = draftOf(g, g.patientRef ? this.d.records.get(g.patientRef) : null, settings, provider)
      return { draft, issues: validateClaim({ ...draft, pcn: 'PENDING' }, settings) }
    })
  }

  /**
   * Builds a claim per encounter from the pending charges, refuses those with problems (they stay
   * pending, listed with every problem), and writes one file with the rest: numbers, claims, lines,
   * submissions and the file's bytes in one transaction. Then delivers it (folder stand-in).
   */
  generate(practiceId: string, opts: { format: '837p' | 'csv'; from?: string; to?: string }, actor: string): GenerateResult {
    const settings = this.settings(practiceId)
    const planned = this.preview(practiceId, opts.from, opts.to)
    const refused = planned.flatMap((p) => p.issues)
    const valid = planned.filter((p) => p.issues.length === 0).map((p) => p.draft)
    if (valid.length === 0) {
      this.d.audit.append({ actor, action: 'billing.generateClaims', practiceId, targetType: 'claim_file', outcome: 'error', details: { format: opts.format, refused: refused.length, claims: 0 } })
      if (refused.length === 0) return { file: null, claims: [], refused }
      throw new AppError('validation_error', `No claim could be written: ${refused.length} problem(s) in ${planned.length} claim(s).`, { retryable: false, details: { refused } })
    }
    const fileId = this.write(practiceId, valid, settings, opts.format, actor, null)
    this.d.audit.append({ actor, action: 'billing.generateClaims', practiceId, targetType: 'claim_file', targetId: String(fileId), outcome: 'ok', details: { format: opts.format, claims: valid.length, refused: refused.length } })
    this.deliver(practiceId, fileId, settings)
    return { file: this.fileInfo(practiceId, fileId), claims: this.store.claims({ practiceId, afterId: 0, limit: 100_000 }).filter((c) => c.lastFileId === fileId), refused }
  }

  /** A replacement (7) or void (8) of a claim already sent: the only way a claim goes out again. */
  resubmit(practiceId: string, claimId: number, frequency: '7' | '8', actor: string): GenerateResult {
    const settings = this.settings(practiceId)
    const c = this.store.claim(practiceId, claimId)
    if (!c) throw new AppError('not_found', `Claim ${claimId} does not exist in this practice.`)
    if (c.status === 'void') throw new AppError('conflict', `Claim ${c.pcn} was voided; it cannot be sent again.`, { retryable: false })
    // A replacement re-reads its charges (they may have been corrected since); a void repeats the claim as sent.
    let draft: ClaimDraft = { ...c.draft, frequency, payerIcn: c.payerIcn }
    if (frequency === '7') {
      const charges = c.draft.lines.map((l) => this.d.records.get(l.chargeId)).filter((r): r is StoredRecord => r !== null)
      const rebuilt = draftOf({ patientRef: c.draft.patientRef, charges }, this.d.records.get(c.draft.patientRef), settings, this.providerLookup(practiceId))
      draft = { ...rebuilt, pcn: c.pcn, frequency, payerIcn: c.payerIcn }
    }
    const issues = validateClaim(draft, settings)
    if (issues.length > 0) throw new AppError('validation_error', `Claim ${c.pcn} cannot be ${frequency === '7' ? 'replaced' : 'voided'}: ${issues.map((i) => i.message).join(' ')}`, { retryable: false, details: { refused: issues } })
    const fileId = this.write(practiceId, [draft], settings, '837p', actor, claimId)
    this.d.audit.append({ actor, action: frequency === '7' ? 'billing.replaceClaim' : 'billing.voidClaim', practiceId, targetType: 'claim', targetId: String(claimId), outcome: 'ok', details: { pcn: c.pcn, fileId } })
    this.deliver(practiceId, fileId, settings)
    return { file: this.fileInfo(practiceId, fileId), claims: [this.store.claim(practiceId, claimId) as ClaimSummary], refused: [] }
  }

  private fileInfo(practiceId: string, fileId: number): ClaimFile {
    const f = this.store.file(practiceId, fileId)
    if (!f) throw new AppError('not_found', `Claim file ${fileId} does not exist in this practice.`)
    const { content: _content, ...info } = f
    return info
  }

  private write(practiceId: string, drafts: ClaimDraft[], settings: ClaimSettings, format: '837p' | 'csv', actor: string, existingClaimId: number | null): number {
    return this.d.db.transaction(() => {
      const now = this.d.clock.now()
      const control = this.store.next(practiceId, 'interchange', settings.firstControlNumber)
      const ids: number[] = []
      for (const d of drafts) {
        if (existingClaimId === null) {
          d.pcn = `PS${String(this.store.next(practiceId, 'pcn')).padStart(8, '0')}`
          ids.push(this.store.insertClaim(practiceId, d, now))
        } else {
          this.store.updateClaimDraft(existingClaimId, d, d.frequency === '8' ? 'void' : 'sent', now)
          ids.push(existingClaimId)
        }
      }
      const content = format === '837p' ? write837p(drafts, settings, { control, at: new Date(now) }) : claimsCsv(drafts, settings)
      const stamp = new Date(now).toISOString().slice(0, 10).replace(/-/g, '')
      const fileName = `${practiceId}-claims-${stamp}-${String(control).padStart(9, '0')}.${format === '837p' ? '837' : 'csv'}`
      const fileId = this.store.insertFile({ practiceId, format, fileName, control: format === '837p' ? control : null, claimCount: drafts.length, totalCents: drafts.reduce((a, d) => a + d.totalCents, 0), sha256: sha256(Buffer.from(content, 'latin1')), content, at: now, by: actor })
      drafts.forEach((d, i) => this.store.submit(ids[i] as number, d.frequency, fileId, now))
      return fileId
    }).immediate()
  }

  /** Stand-in for part 1's outbound file job: temporary name, fsync, rename into the folder. */
  deliver(practiceId: string, fileId: number, settings: ClaimSettings): void {
    if (!settings.outputFolder) return
    const f = this.store.file(practiceId, fileId)
    if (!f || f.deliveredAt) return
    const tmp = join(settings.outputFolder, `.${f.fileName}.tmp`)
    const fd = openSync(tmp, 'wx', 0o600)
    try {
      writeSync(fd, Buffer.from(f.content, 'latin1'))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    const target = join(settings.outputFolder, f.fileName)
    renameSync(tmp, target)
    this.store.markDelivered(fileId, target, this.d.clock.now())
    this.d.logger.info('claim file delivered', { practiceId, fileId })
  }

  /**
   * Imports an 835: every transaction is balanced first; if any is not, nothing of the file is
   * posted and each transaction is recorded as unbalanced with its problems. A transaction whose
   * trace (TRN02 + TRN03) was already posted is skipped. Posting is one database transaction;
   * `record` runs inside it (a file job's row ledger), so the posting and its record commit together.
   */
  async importRemittance(practiceId: string, fileName: string, bytes: Buffer, actor: string, record?: (r: RemitImportResult) => void): Promise<RemitImportResult> {
    this.d.practices.get(practiceId)
    const hash = sha256(bytes)
    let parsed
    try {
      parsed = await parse835(bytes)
    } catch (e) {
      this.d.audit.append({ actor, action: 'billing.importRemittance', practiceId, targetType: 'remittance_file', targetId: hash, outcome: 'error', details: { fileName, code: (e as AppError).code ?? 'internal' } })
      throw e
    }
    const problems = parsed.transactions.map(balanceProblems)
    const balanced = problems.every((p) => p.length === 0)
    const result: RemitImportResult = { fileName, sha256: hash, transactions: [], depositsMatched: 0 }
    this.d.db.transaction(() => {
      const now = this.d.clock.now()
      parsed.transactions.forEach((t, i) => {
        const own = problems[i] ?? []
        const base = { trace: t.trace, payerTin: t.payerTin, claims: t.claims.length }
        const row = (status: 'posted' | 'unbalanced', list: string[]): number =>
          this.store.insertRemittance({
            practice_id: practiceId, file_name: fileName, file_sha256: hash, isa_sender: parsed.senderId, isa_control: parsed.controlNumber, st_control: t.control, status, trace: t.trace, payer_tin: t.payerTin,
            payer_name: t.payerName, handling: t.handling, payment_cents: t.creditDebit === 'D' ? -t.paymentCents : t.paymentCents, method: t.method, payment_date: t.paymentDate, claim_count: t.claims.length,
            plb_cents: t.plb.reduce((a, p) => a + p.cents, 0), problems: JSON.stringify(list), received_at: now, received_by: actor,
          })
        if (!balanced) {
          const list = own.length > 0 ? own : ['Not posted: another transaction in the same file does not balance.']
          result.transactions.push({ ...base, outcome: 'unbalanced', remittanceId: row('unbalanced', list), problems: list })
          return
        }
        const existing = this.store.postedByTrace(practiceId, t.trace, t.payerTin)
        if (existing !== null) {
          result.transactions.push({ ...base, outcome: 'duplicate', remittanceId: existing, problems: [] })
          return
        }
        const rid = row('posted', [])
        this.post(practiceId, rid, t, now)
        result.transactions.push({ ...base, outcome: 'posted', remittanceId: rid, problems: [] })
      })
      result.depositsMatched = this.store.matchDeposits(practiceId)
      record?.(result)
    }).immediate()
    const outcome = (o: string): number => result.transactions.filter((t) => t.outcome === o).length
    this.d.audit.append({
      actor, action: 'billing.importRemittance', practiceId, targetType: 'remittance_file', targetId: hash, outcome: balanced ? 'ok' : 'error',
      details: { fileName, transactions: result.transactions.length, posted: outcome('posted'), duplicate: outcome('duplicate'), unbalanced: outcome('unbalanced') },
    })
    this.d.logger.info('835 imported', { practiceId, posted: outcome('posted'), duplicate: outcome('duplicate'), unbalanced: outcome('unbalanced') })
    return result
  }

  /** Matches each CLP to our claim (CLP01, else CLP07), classifies it, pairs reversals with corrections, settles the claim. */
  private post(practiceId: string, rid: number, t: Remit835, now: number): void {
    for (const c of t.claims) {
      const cls = classify(c)
      const byPcn = this.store.claimByPcn(practiceId, c.pcn)
      const claim = byPcn ?? (c.icn ? this.store.claimByIcn(practiceId, c.icn) : undefined)
      const adjustments = [...c.adjustments, ...c.lines.flatMap((l) => l.adjustments)]
      const id = this.store.insertRemitClaim({
        remittance_id: rid, practice_id: practiceId, pcn: c.pcn, status_code: c.status, classification: cls, charge_cents: c.chargeCents, paid_cents: c.paidCents,
        patient_resp_cents: c.patientRespCents, payer_icn: c.icn, claim_id: claim?.id ?? null, matched_by: claim ? (byPcn ? 'pcn' : 'icn') : null, paired_with: null,
        adjustments: JSON.stringify(adjustments), lines: JSON.stringify(c.lines),
      })
      // A reversal (CLP02 22) pairs with its correction: the next non-reversal of the same patient
      // control number (in this or a later remittance), or one listed before it in the same remittance.
      const other =
        cls === 'reversed'
          ? (this.store.prepared("SELECT id FROM remittance_claims WHERE remittance_id = ? AND pcn = ? AND id <> ? AND paired_with IS NULL AND classification <> 'reversed' ORDER BY id LIMIT 1").get(rid, c.pcn, id) as { id: number } | undefined)
          : (this.store.prepared("SELECT id FROM remittance_claims WHERE practice_id = ? AND pcn = ? AND id <> ? AND paired_with IS NULL AND classification = 'reversed' ORDER BY id LIMIT 1").get(practiceId, c.pcn, id) as { id: number } | undefined)
      if (other) this.store.pair(id, other.id)
      if (claim && claim.status !== 'void') this.store.settleClaim(claim.id, c.icn, c.paidCents, cls, now)
    }
    for (const p of t.plb) this.store.insertPlb(rid, p)
  }

  /** Bank deposits (CSV: date, amount, trace/check number); rows keep their line numbers; duplicates are skipped. */
  importDeposits(practiceId: string, fileName: string, text: string, actor: string): { created: number; duplicate: number; rejected: Array<{ line: number; message: string }>; matched: number } {
    this.d.practices.get(practiceId)
    let rows: string[][]
    try {
      rows = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][]
    } catch (e) {
      throw new AppError('parse_error', `The deposit file is not valid CSV: ${(e as Error).message}`, { retryable: false })
    }
    const header = (rows[0] ?? []).map((h) => h.toLowerCase().replace(/[^a-z]/g, ''))
    const col = (...names: string[]): number => header.findIndex((h) => names.includes(h))
    const iDate = col('date', 'depositdate', 'effectivedate')
    const iAmount = col('amount', 'depositamount', 'credit')
    const iTrace = col('trace', 'tracenumber', 'check', 'checknumber', 'reference', 'eftrace', 'trn')
    if (iDate < 0 || iAmount < 0 || iTrace < 0) {
      throw new AppError('validation_error', `The deposit file's header must name a date, an amount and a trace or check number column (found: ${(rows[0] ?? []).join(', ') || 'nothing'}).`, { retryable: false })
    }
    const out = { created: 0, duplicate: 0, rejected: [] as Array<{ line: number; message: string }>, matched: 0 }
    this.d.db.transaction(() => {
      const now = this.d.clock.now()
      rows.slice(1).forEach((r, i) => {
        const line = i + 2
        const date = isoDate(r[iDate] ?? '')
        const cents = parseMoney(r[iAmount] ?? '')
        const trace = (r[iTrace] ?? '').trim()
        if (!date) return void out.rejected.push({ line, message: `The date "${r[iDate] ?? ''}" is not YYYY-MM-DD or MM/DD/YYYY.` })
        if (cents === null) return void out.rejected.push({ line, message: `The amount "${r[iAmount] ?? ''}" is not an amount.` })
        if (trace === '') return void out.rejected.push({ line, message: 'The trace / check number is empty.' })
        out[this.store.insertDeposit({ practiceId, date, cents, trace, fileName, line, at: now })]++
      })
      out.matched = this.store.matchDeposits(practiceId)
    }).immediate()
    this.d.audit.append({ actor, action: 'billing.importDeposits', practiceId, targetType: 'deposit_file', targetId: fileName, outcome: 'ok', details: { created: out.created, duplicate: out.duplicate, rejected: out.rejected.length, matched: out.matched } })
    return out
  }

  /**
   * One practice and period: claims by service date (expected = their charges, paid = what
   * remittances paid on them), remittances by payment date, deposits by deposit date.
   */
  reconciliation(practiceId: string, from: string, to: string): Reconciliation {
    this.d.practices.get(practiceId)
    const claims = this.d.db
      .prepare("SELECT status, count(*) AS n, sum(total_cents) AS total, sum(paid_cents) AS paid FROM claims WHERE practice_id = ? AND service_date BETWEEN ? AND ? AND status <> 'void' GROUP BY status")
      .all(practiceId, from, to) as { status: string; n: number; total: number; paid: number }[]
    const count = (s: string): number => claims.find((c) => c.status === s)?.n ?? 0
    const remittances = this.store.remittances({ practiceId, from, to, limit: 10_000 })
    const posted = remittances.filter((r) => r.status === 'posted')
    const deposits = this.store.deposits({ practiceId, from, to })
    const inPeriod = "r.practice_id = ? AND r.status = 'posted' AND coalesce(r.payment_date, '') BETWEEN ? AND ?"
    const remitClaims = this.store.remitClaims(inPeriod, practiceId, from, to)
    const denials = new Map<string, { group: string; reason: string; words: string; claims: Set<number>; cents: number }>()
    for (const rc of remitClaims.filter((c) => c.classification === 'denied')) {
      for (const a of rc.adjustments) {
        const k = `${a.group}-${a.reason}`
        const e = denials.get(k) ?? { group: a.group, reason: a.reason, words: `${groupWords(a.group)}: ${carcWords(a.reason)}`, claims: new Set<number>(), cents: 0 }
        e.claims.add(rc.id)
        e.cents += a.cents
        denials.set(k, e)
      }
    }
    const byTrace = new Map(deposits.map((d) => [traceKey(d.trace), d]))
    const mismatches = posted.flatMap((r) => {
      const d = r.depositId === null ? byTrace.get(traceKey(r.trace)) : undefined
      return d && d.remittanceId === null && d.amountCents !== r.paymentCents ? [{ remittanceId: r.id, depositId: d.id, trace: r.trace, remitCents: r.paymentCents, depositCents: d.amountCents }] : []
    })
    return {
      practiceId,
      from,
      to,
      expectedCents: claims.reduce((a, c) => a + c.total, 0),
      paidCents: claims.reduce((a, c) => a + c.paid, 0),
      depositedCents: deposits.reduce((a, d) => a + d.amountCents, 0),
      plbCents: this.store.plbTotal(practiceId, from, to),
      claims: { sent: claims.reduce((a, c) => a + c.n, 0), paid: count('paid'), partial: count('partial'), denied: count('denied'), reversed: count('reversed'), unpaid: count('sent') },
      denialsByReason: [...denials.values()].map((e) => ({ group: e.group, reason: e.reason, words: e.words, claims: e.claims.size, cents: e.cents })).sort((a, b) => b.cents - a.cents),
      unmatchedRemitClaims: remitClaims.filter((c) => c.claimId === null),
      remittancesWithoutDeposit: posted.filter((r) => r.depositId === null && r.paymentCents > 0 && r.handling !== 'H'),
      depositsWithoutRemittance: deposits.filter((d) => d.remittanceId === null),
      amountMismatches: mismatches,
      remittances,
    }
  }

  reconciliationCsv(r: Reconciliation): string {
    const rows: unknown[][] = [
      ['summary', 'expected', '', money(r.expectedCents), ''],
      ['summary', 'paid', '', money(r.paidCents), ''],
      ['summary', 'deposited', '', money(r.depositedCents), ''],
      ['summary', 'provider adjustments (PLB)', '', money(r.plbCents), ''],
      ...r.denialsByReason.map((d) => ['denial', `${d.group}-${d.reason}`, d.words, money(d.cents), `${d.claims} claim(s)`]),
      ...r.unmatchedRemitClaims.map((c) => ['unmatched remittance claim', c.pcn, c.payerIcn, money(c.paidCents), c.classification]),
      ...r.remittancesWithoutDeposit.map((x) => ['remittance without deposit', x.trace, x.payerName, money(x.paymentCents), x.paymentDate ?? '']),
      ...r.depositsWithoutRemittance.map((d) => ['deposit without remittance', d.trace, d.fileName, money(d.amountCents), d.depositDate]),
      ...r.amountMismatches.map((m) => ['amount mismatch', m.trace, `835 ${money(m.remitCents)}`, money(m.depositCents), '']),
    ]
    return toCsv(['kind', 'key', 'detail', 'amount', 'note'], rows)
  }

  remitClaimsOf(practiceId: string, remittanceId: number): RemittanceClaim[] {
    return this.store.remitClaims('r.practice_id = ? AND r.id = ?', practiceId, remittanceId)
  }
}

function isoDate(v: string): string | null {
  const t = v.trim()
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t)
  if (m) return `${m[1]}-${m[2]}-${m[3]}`
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t)
  if (m) return `${m[3]}-${(m[1] as string).padStart(2, '0')}-${(m[2] as string).padStart(2, '0')}`
  return null
}

function parseMoney(v: string): number | null {
  const t = v.trim().replace(/[$,\s]/g, '')
  const neg = /^\(.*\)$/.test(t)
  const n = neg ? t.slice(1, -1) : t
  if (!/^-?\d+(\.\d{1,2})?$/.test(n)) return null
  const c = Math.round(Number(n) * 100)
  return neg ? -c : c
}

/** CSV claim batch: one row per service line, the claim's fields repeated. */
export function claimsCsv(drafts: ClaimDraft[], s: ClaimSettings): string {
  const header = ['pcn', 'frequency', 'payer_icn', 'payer_id', 'payer_name', 'billing_npi', 'billing_tin', 'rendering_npi', 'patient_last', 'patient_first', 'patient_dob', 'patient_gender', 'relationship', 'member_id', 'group_number', 'place_of_service', 'diagnoses', 'claim_total', 'line', 'service_date', 'procedure', 'modifiers', 'units', 'charge', 'pointers']
  const rows = drafts.flatMap((c) =>
    c.lines.map((l, i) => [
      c.pcn, c.frequency, c.payerIcn ?? '', c.payer.id, c.payer.name, s.billingProvider.npi, s.billingProvider.tin, c.rendering?.npi ?? '', c.patient.lastName, c.patient.firstName, c.patient.dob, c.patient.gender,
      c.relationship, c.subscriber.memberId, c.subscriber.groupNumber, c.placeOfService, c.diagnoses.join(';'), money(c.totalCents), i + 1, l.serviceDate, l.procedure, l.modifiers.join(';'), l.units, money(l.chargeCents), l.pointers.join(';'),
    ]),
  )
  return toCsv(header, rows)
}

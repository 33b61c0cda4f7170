/** SQL of the billing tables (migration 0150). Callers hold the transaction. */
import type { ClaimFile, ClaimStatus, ClaimSummary, Deposit, Remittance, RemittanceClaim } from '../../../../../shared/billing'
import type { Statement } from 'better-sqlite3-multiple-ciphers'
import type { Db } from '../../../store/database'
import { cachedStatement } from '../../../store/statements'
import { carcWords, groupWords } from './carc'
import type { ClaimDraft } from './claim-model'
import type { RemitAdjustment } from './remit-835'
import { listWhere } from '../../../store/list-where'

interface ClaimRow {
  id: number
  practice_id: string
  pcn: string
  status: ClaimStatus
  frequency: '1' | '7' | '8'
  patient_ref: number | null
  service_date: string
  payer_id: string
  payer_name: string
  total_cents: number
  paid_cents: number
  payer_icn: string | null
  last_file_id: number | null
  draft: string
  created_at: number
}

interface RemitRow {
  id: number
  practice_id: string
  file_name: string
  status: 'posted' | 'unbalanced'
  trace: string
  payer_tin: string
  payer_name: string
  handling: string
  payment_cents: number
  method: string
  payment_date: string | null
  claim_count: number
  plb_cents: number
  problems: string
  deposit_id: number | null
  received_at: number
}

interface RemitClaimRow {
  id: number
  remittance_id: number
  pcn: string
  status_code: string
  classification: RemittanceClaim['classification']
  charge_cents: number
  paid_cents: number
  patient_resp_cents: number
  payer_icn: string
  claim_id: number | null
  matched_by: 'pcn' | 'icn' | null
  paired_with: number | null
  adjustments: string
}

interface DepositRow {
  id: number
  practice_id: string
  deposit_date: string
  amount_cents: number
  trace: string
  file_name: string
  line: number
  remittance_id: number | null
}

/** Upper case, no spaces or leading zeros: "0012524965" and "12524965" are the same check. */
export function traceKey(t: string): string {
  return t.trim().toUpperCase().replace(/\s+/g, '').replace(/^0+(?=.)/, '')
}

export class BillingStore {
  constructor(private readonly db: Db) {}

  /** Prepared once per connection (posting a 10,000-claim 835 runs each statement per claim). */
  prepared(sql: string): Statement {
    return cachedStatement(this.db, sql)
  }

  private q(sql: string): Statement {
    return cachedStatement(this.db, sql)
  }

  /** Next value of a durable per-practice sequence (in the caller's transaction). */
  next(practiceId: string, name: string, first = 1): number {
    const row = this.q('SELECT last_value FROM x12_sequences WHERE practice_id = ? AND name = ?').get(practiceId, name) as { last_value: number } | undefined
    const v = row ? row.last_value + 1 : first
    // ISA13 is nine digits: wrap to 1 rather than write a tenth.
    const value = v > 999_999_999 ? 1 : v
    this.q('INSERT INTO x12_sequences (practice_id, name, last_value) VALUES (?, ?, ?) ON CONFLICT (practice_id, name) DO UPDATE SET last_value = excluded.last_value').run(practiceId, name, value)
    return value
  }

  billedChargeIds(practiceId: string): Set<number> {
    const rows = this.q('SELECT l.charge_record_id AS id FROM claim_lines l JOIN claims c ON c.id = l.claim_id WHERE c.practice_id = ?').all(practiceId) as { id: number }[]
    return new Set(rows.map((r) => r.id))
  }

  insertFile(f: { practiceId: string; format: '837p' | 'csv'; fileName: string; control: number | null; claimCount: number; totalCents: number; sha256: string; content: string; at: number; by: string }): number {
    const info = this.q('INSERT INTO claim_files (practice_id, format, file_name, control_number, claim_count, total_cents, sha256, content, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(f.practiceId, f.format, f.fileName, f.control, f.claimCount, f.totalCents, f.sha256, Buffer.from(f.content, 'latin1'), f.at, f.by)
    return Number(info.lastInsertRowid)
  }

  markDelivered(fileId: number, to: string, at: number): void {
    this.q('UPDATE claim_files SET delivered_to = ?, delivered_at = ? WHERE id = ?').run(to, at, fileId)
  }

  insertClaim(practiceId: string, c: ClaimDraft, at: number): number {
    const info = this.q(`INSERT INTO claims (practice_id, pcn, status, frequency, patient_ref, service_date, payer_id, payer_name, total_cents, draft, created_at, updated_at)
        VALUES (?, ?, 'sent', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(practiceId, c.pcn, c.frequency, c.patientRef, c.lines[0]?.serviceDate ?? '', c.payer.id, c.payer.name, c.totalCents, JSON.stringify(c), at, at)
    const id = Number(info.lastInsertRowid)
    const line = this.q('INSERT INTO claim_lines (charge_record_id, claim_id, line_no) VALUES (?, ?, ?)')
    c.lines.forEach((l, i) => line.run(l.chargeId, id, i + 1))
    return id
  }

  updateClaimDraft(id: number, c: ClaimDraft, status: ClaimStatus, at: number): void {
    this.q('UPDATE claims SET draft = ?, frequency = ?, total_cents = ?, status = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(c), c.frequency, c.totalCents, status, at, id)
  }

  submit(claimId: number, frequency: string, fileId: number, at: number): void {
    this.q('INSERT INTO claim_submissions (claim_id, frequency, file_id, at) VALUES (?, ?, ?, ?)').run(claimId, frequency, fileId, at)
    this.q('UPDATE claims SET last_file_id = ? WHERE id = ?').run(fileId, claimId)
  }

  claim(practiceId: string, id: number): (ClaimSummary & { draft: ClaimDraft }) | null {
    const r = this.q(`SELECT c.*, (SELECT count(*) FROM claim_lines l WHERE l.claim_id = c.id) AS line_count FROM claims c WHERE c.practice_id = ? AND c.id = ?`).get(practiceId, id) as (ClaimRow & { line_count: number }) | undefined
    return r ? { ...toClaim(r), draft: JSON.parse(r.draft) as ClaimDraft } : null
  }

  claimByPcn(practiceId: string, pcn: string): ClaimRow | undefined {
    return this.q('SELECT * FROM claims WHERE practice_id = ? AND pcn = ?').get(practiceId, pcn) as ClaimRow | undefined
  }

  claimByIcn(practiceId: string, icn: string): ClaimRow | undefined {
    return this.q('SELECT * FROM claims WHERE practice_id = ? AND payer_icn = ? ORDER BY id LIMIT 1').get(practiceId, icn) as ClaimRow | undefined
  }

  claims(q: { practiceIds?: string[]; practiceId?: string; status?: ClaimStatus; afterId?: number; limit: number }): ClaimSummary[] {
    const { where, args } = listWhere([['c.id > ?', q.afterId], ['c.practice_id = ?', q.practiceId], ['c.status = ?', q.status]], q.practiceIds, 'c.practice_id')
    const rows = this.q(`SELECT c.*, (SELECT count(*) FROM claim_lines l WHERE l.claim_id = c.id) AS line_count FROM claims c ${where} ORDER BY c.id LIMIT ?`)
      .all(...args, q.limit) as (ClaimRow & { line_count: number })[]
    return rows.map(toClaim)
  }

  /** After a remittance: the claim's payer ICN (first seen), paid total and status. */
  settleClaim(id: number, icn: string, paidDelta: number, status: ClaimStatus, at: number): void {
    this.q('UPDATE claims SET payer_icn = coalesce(payer_icn, nullif(?, \'\')), paid_cents = paid_cents + ?, status = ?, updated_at = ? WHERE id = ?').run(icn, paidDelta, status, at, id)
  }

  files(practiceId: string, limit: number): ClaimFile[] {
    return (this.q('SELECT * FROM claim_files WHERE practice_id = ? ORDER BY id DESC LIMIT ?').all(practiceId, limit) as Record<string, unknown>[]).map(toFile)
  }

  file(practiceId: string, id: number): (ClaimFile & { content: string }) | null {
    const r = this.q('SELECT * FROM claim_files WHERE practice_id = ? AND id = ?').get(practiceId, id) as Record<string, unknown> | undefined
    return r ? { ...toFile(r), content: (r.content as Buffer).toString('latin1') } : null
  }

  undeliveredFiles(practiceId: string): number[] {
    return (this.q('SELECT id FROM claim_files WHERE practice_id = ? AND delivered_at IS NULL ORDER BY id').all(practiceId) as { id: number }[]).map((r) => r.id)
  }

  postedByTrace(practiceId: string, trace: string, payerTin: string): number | null {
    const r = this.q("SELECT id FROM remittances WHERE practice_id = ? AND trace = ? AND payer_tin = ? AND status = 'posted'").get(practiceId, trace, payerTin) as { id: number } | undefined
    return r?.id ?? null
  }

  insertRemittance(r: Omit<RemitRow, 'id' | 'deposit_id'> & { file_sha256: string; isa_sender: string; isa_control: string; st_control: string; received_by: string }): number {
    const info = this.q(`INSERT INTO remittances (practice_id, file_name, file_sha256, isa_sender, isa_control, st_control, status, trace, payer_tin, payer_name, handling, payment_cents, method, payment_date, claim_count, plb_cents, problems, received_at, received_by)
        VALUES (@practice_id, @file_name, @file_sha256, @isa_sender, @isa_control, @st_control, @status, @trace, @payer_tin, @payer_name, @handling, @payment_cents, @method, @payment_date, @claim_count, @plb_cents, @problems, @received_at, @received_by)`)
      .run(r)
    return Number(info.lastInsertRowid)
  }

  insertRemitClaim(r: Omit<RemitClaimRow, 'id'> & { practice_id: string; lines: string }): number {
    const info = this.q(`INSERT INTO remittance_claims (remittance_id, practice_id, pcn, status_code, classification, charge_cents, paid_cents, patient_resp_cents, payer_icn, claim_id, matched_by, paired_with, adjustments, lines)
        VALUES (@remittance_id, @practice_id, @pcn, @status_code, @classification, @charge_cents, @paid_cents, @patient_resp_cents, @payer_icn, @claim_id, @matched_by, @paired_with, @adjustments, @lines)`)
      .run(r)
    return Number(info.lastInsertRowid)
  }

  pair(a: number, b: number): void {
    this.q('UPDATE remittance_claims SET paired_with = ? WHERE id = ?').run(b, a)
    this.q('UPDATE remittance_claims SET paired_with = ? WHERE id = ?').run(a, b)
  }

  insertPlb(remittanceId: number, p: { provider: string; fiscalDate: string; reason: string; reference: string; cents: number }): void {
    this.q('INSERT INTO remittance_plb (remittance_id, provider, fiscal_date, reason, reference, cents) VALUES (?, ?, ?, ?, ?, ?)').run(remittanceId, p.provider, p.fiscalDate, p.reason, p.reference, p.cents)
  }

  /** Remittance payments of a practice recorded unbalanced since `since` (the alert rule `remittance_unbalanced`). */
  unbalancedSince(practiceId: string, since: number): number {
    return (this.q("SELECT count(*) AS n FROM remittances WHERE practice_id = ? AND status = 'unbalanced' AND received_at >= ?").get(practiceId, since) as { n: number }).n
  }

  remittances(q: { practiceId: string; from?: string; to?: string; limit: number }): Remittance[] {
    const rows = this.q(`SELECT * FROM remittances WHERE practice_id = ? AND (? IS NULL OR coalesce(payment_date, '') >= ?) AND (? IS NULL OR coalesce(payment_date, '') <= ?) ORDER BY id DESC LIMIT ?`)
      .all(q.practiceId, q.from ?? null, q.from ?? null, q.to ?? null, q.to ?? null, q.limit) as RemitRow[]
    return rows.map(toRemit)
  }

  remittance(practiceId: string, id: number): Remittance | null {
    const r = this.q('SELECT * FROM remittances WHERE practice_id = ? AND id = ?').get(practiceId, id) as RemitRow | undefined
    return r ? toRemit(r) : null
  }

  remitClaims(where: string, ...args: unknown[]): RemittanceClaim[] {
    return (this.q(`SELECT rc.* FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id WHERE ${where} ORDER BY rc.id`).all(...args) as RemitClaimRow[]).map(toRemitClaim)
  }

  insertDeposit(d: { practiceId: string; date: string; cents: number; trace: string; fileName: string; line: number; at: number }): 'created' | 'duplicate' {
    const info = this.q('INSERT OR IGNORE INTO deposits (practice_id, deposit_date, amount_cents, trace, trace_key, file_name, line, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(d.practiceId, d.date, d.cents, d.trace, traceKey(d.trace), d.fileName, d.line, d.at)
    return info.changes === 1 ? 'created' : 'duplicate'
  }

  /** Links every unmatched deposit to the posted remittance with the same trace and amount. */
  matchDeposits(practiceId: string): number {
    const open = this.q('SELECT id, trace_key, amount_cents FROM deposits WHERE practice_id = ? AND remittance_id IS NULL').all(practiceId) as { id: number; trace_key: string; amount_cents: number }[]
    const remits = this.q("SELECT id, trace, payment_cents FROM remittances WHERE practice_id = ? AND status = 'posted' AND deposit_id IS NULL").all(practiceId) as { id: number; trace: string; payment_cents: number }[]
    const byKey = new Map<string, { id: number; payment_cents: number }[]>()
    for (const r of remits) byKey.set(`${traceKey(r.trace)}|${r.payment_cents}`, [...(byKey.get(`${traceKey(r.trace)}|${r.payment_cents}`) ?? []), r])
    let n = 0
    for (const d of open) {
      const r = byKey.get(`${d.trace_key}|${d.amount_cents}`)?.shift()
      if (!r) continue
      this.q('UPDATE deposits SET remittance_id = ? WHERE id = ?').run(r.id, d.id)
      this.q('UPDATE remittances SET deposit_id = ? WHERE id = ?').run(d.id, r.id)
      n++
    }
    return n
  }

  deposits(q: { practiceId: string; from?: string; to?: string }): Deposit[] {
    const rows = this.q('SELECT * FROM deposits WHERE practice_id = ? AND (? IS NULL OR deposit_date >= ?) AND (? IS NULL OR deposit_date <= ?) ORDER BY deposit_date, id')
      .all(q.practiceId, q.from ?? null, q.from ?? null, q.to ?? null, q.to ?? null) as DepositRow[]
    return rows.map((r) => ({ id: r.id, practiceId: r.practice_id, depositDate: r.deposit_date, amountCents: r.amount_cents, trace: r.trace, fileName: r.file_name, line: r.line, remittanceId: r.remittance_id, note: null }))
  }

  plbTotal(practiceId: string, from: string, to: string): number {
    const r = this.q("SELECT coalesce(sum(plb_cents), 0) AS s FROM remittances WHERE practice_id = ? AND status = 'posted' AND coalesce(payment_date, '') BETWEEN ? AND ?").get(practiceId, from, to) as { s: number }
    return r.s
  }
}

function toClaim(r: ClaimRow & { line_count: number }): ClaimSummary {
  return {
    id: r.id,
    practiceId: r.practice_id,
    pcn: r.pcn,
    status: r.status,
    frequency: r.frequency,
    patientRef: r.patient_ref,
    serviceDate: r.service_date,
    payerId: r.payer_id,
    payerName: r.payer_name,
    totalCents: r.total_cents,
    paidCents: r.paid_cents,
    payerIcn: r.payer_icn,
    lineCount: r.line_count,
    lastFileId: r.last_file_id,
    createdAt: r.created_at,
  }
}

function toFile(r: Record<string, unknown>): ClaimFile {
  return {
    id: r.id as number,
    practiceId: r.practice_id as string,
    format: r.format as ClaimFile['format'],
    fileName: r.file_name as string,
    controlNumber: (r.control_number as number | null) ?? null,
    claimCount: r.claim_count as number,
    totalCents: r.total_cents as number,
    sha256: r.sha256 as string,
    createdAt: r.created_at as number,
    createdBy: r.created_by as string,
    deliveredTo: (r.delivered_to as string | null) ?? null,
    deliveredAt: (r.delivered_at as number | null) ?? null,
  }
}

function toRemit(r: RemitRow): Remittance {
  return {
    id: r.id,
    practiceId: r.practice_id,
    fileName: r.file_name,
    status: r.status,
    trace: r.trace,
    payerTin: r.payer_tin,
    payerName: r.payer_name,
    paymentCents: r.payment_cents,
    handling: r.handling,
    method: r.method,
    paymentDate: r.payment_date,
    claimCount: r.claim_count,
    plbCents: r.plb_cents,
    problems: JSON.parse(r.problems) as string[],
    depositId: r.deposit_id,
    receivedAt: r.received_at,
  }
}

function toRemitClaim(r: RemitClaimRow): RemittanceClaim {
  return {
    id: r.id,
    remittanceId: r.remittance_id,
    pcn: r.pcn,
    statusCode: r.status_code,
    classification: r.classification,
    chargeCents: r.charge_cents,
    paidCents: r.paid_cents,
    patientRespCents: r.patient_resp_cents,
    payerIcn: r.payer_icn,
    claimId: r.claim_id,
    matchedBy: r.matched_by,
    pairedWith: r.paired_with,
    adjustments: (JSON.parse(r.adjustments) as RemitAdjustment[]).map((a) => ({ ...a, words: `${groupWords(a.group)}: ${carcWords(a.reason)}` })),
  }
}

/**
 * Billing file exchange: claim settings (X12 837P submitter/receiver, billing provider), and the
 * shapes the console shows for claims, remittances (835), deposits and reconciliation.
 * Amounts cross the contract in cents (integers), so no sum ever drifts by a float.
 */
import { z } from 'zod'

const text = (max: number): z.ZodString => z.string().trim().max(max)

export const billingAddressSchema = z.object({
  line1: text(55).min(1),
  line2: text(55).nullable().default(null),
  city: text(30).min(1),
  state: z.string().regex(/^[A-Z]{2}$/, 'two-letter state code'),
  zip: z.string().regex(/^\d{5}(\d{4})?$/, '5 or 9 digits'),
})

/** Per practice (`settings.claims`): everything an 837P needs that the charges do not carry. */
export const claimSettingsSchema = z.object({
  /** 1000A submitter (NM1*41 NM109) and its contact (PER). */
  submitterId: text(80).min(1),
  submitterName: text(60).min(1),
  contactName: text(60).min(1),
  contactPhone: z.string().regex(/^\d{10}$/, '10 digits'),
  /** 1000B receiver (NM1*40): the clearinghouse or payer the file goes to. */
  receiverId: text(80).min(1),
  receiverName: text(60).min(1),
  /** ISA05/06 and ISA07/08 (padded to 15), GS02/GS03. */
  interchangeSenderQualifier: z.string().regex(/^[0-9A-Z]{2}$/).default('ZZ'),
  interchangeSenderId: text(15).min(1),
  interchangeReceiverQualifier: z.string().regex(/^[0-9A-Z]{2}$/).default('ZZ'),
  interchangeReceiverId: text(15).min(1),
  applicationSenderCode: text(15).min(1),
  applicationReceiverCode: text(15).min(1),
  /** ISA15: T test, P production. */
  usage: z.enum(['T', 'P']).default('T'),
  billingProvider: z.object({
    name: text(60).min(1),
    npi: z.string().regex(/^\d{10}$/, '10 digits'),
    tin: z.string().regex(/^\d{9}$/, '9 digits (EIN without the dash)'),
    taxonomy: z.string().regex(/^[0-9A-Z]{9}X$/, 'a 10-character taxonomy code').nullable().default(null),
    address: billingAddressSchema,
  }),
  /** CLM05-1 when a charge has no place of service (11 = office). */
  defaultPlaceOfService: z.string().regex(/^\d{2}$/).default('11'),
  /** Payer ids (NM1*PR NM109) by the patient's insurance plan id or company name; else the plan id itself. */
  payerIds: z.record(z.string(), z.string().trim().min(1).max(80)).default({}),
  /** The first ISA13/GS06 control number when the sequence starts (then +1 per file, durable). */
  firstControlNumber: z.number().int().min(1).max(999_999_999).default(1),
  /**
   * Until claim files go out through a file job (part 1's outbound drop): a local or mounted folder
   * each generated file is written to (temporary name, then renamed). null = kept for download only.
   */
  outputFolder: z.string().trim().min(1).max(1000).nullable().default(null),
})
export type ClaimSettings = z.infer<typeof claimSettingsSchema>

export const CLAIM_STATUSES = ['sent', 'paid', 'partial', 'denied', 'reversed', 'void'] as const
export type ClaimStatus = (typeof CLAIM_STATUSES)[number]

export const claimIssueSchema = z.object({ pcn: z.string().nullable(), chargeIds: z.array(z.number()), path: z.string(), message: z.string() })
export type ClaimIssue = z.infer<typeof claimIssueSchema>

export const claimSummarySchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  pcn: z.string(),
  status: z.enum(CLAIM_STATUSES),
  frequency: z.enum(['1', '7', '8']),
  patientRef: z.number().nullable(),
  serviceDate: z.string(),
  payerId: z.string(),
  payerName: z.string(),
  totalCents: z.number().int(),
  paidCents: z.number().int(),
  payerIcn: z.string().nullable(),
  lineCount: z.number().int(),
  lastFileId: z.number().nullable(),
  createdAt: z.number(),
})
export type ClaimSummary = z.infer<typeof claimSummarySchema>

export const claimFileSchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  format: z.enum(['837p', 'csv']),
  fileName: z.string(),
  controlNumber: z.number().nullable(),
  claimCount: z.number().int(),
  totalCents: z.number().int(),
  sha256: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  deliveredTo: z.string().nullable(),
  deliveredAt: z.number().nullable(),
})
export type ClaimFile = z.infer<typeof claimFileSchema>

export const REMIT_CLASSES = ['paid', 'partial', 'denied', 'reversed'] as const

export const remittanceSchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  fileName: z.string(),
  status: z.enum(['posted', 'unbalanced']),
  trace: z.string(),
  payerTin: z.string(),
  payerName: z.string(),
  paymentCents: z.number().int(),
  /** BPR01: I remittance and payment, H notification only (no money moves), C/D/P/U/X others. */
  handling: z.string(),
  method: z.string(),
  paymentDate: z.string().nullable(),
  claimCount: z.number().int(),
  plbCents: z.number().int(),
  problems: z.array(z.string()),
  depositId: z.number().nullable(),
  receivedAt: z.number(),
})
export type Remittance = z.infer<typeof remittanceSchema>

export const remitAdjustmentSchema = z.object({ group: z.string(), reason: z.string(), words: z.string(), cents: z.number().int() })

export const remittanceClaimSchema = z.object({
  id: z.number(),
  remittanceId: z.number(),
  pcn: z.string(),
  statusCode: z.string(),
  classification: z.enum(REMIT_CLASSES),
  chargeCents: z.number().int(),
  paidCents: z.number().int(),
  patientRespCents: z.number().int(),
  payerIcn: z.string(),
  claimId: z.number().nullable(),
  matchedBy: z.enum(['pcn', 'icn']).nullable(),
  pairedWith: z.number().nullable(),
  adjustments: z.array(remitAdjustmentSchema),
})
export type RemittanceClaim = z.infer<typeof remittanceClaimSchema>

export const depositSchema = z.object({
  id: z.number(),
  practiceId: z.string(),
  depositDate: z.string(),
  amountCents: z.number().int(),
  trace: z.string(),
  fileName: z.string(),
  line: z.number().int(),
  remittanceId: z.number().nullable(),
  note: z.string().nullable(),
})
export type Deposit = z.infer<typeof depositSchema>

export const reconciliationSchema = z.object({
  practiceId: z.string(),
  from: z.string(),
  to: z.string(),
  expectedCents: z.number().int(),
  paidCents: z.number().int(),
  depositedCents: z.number().int(),
  plbCents: z.number().int(),
  claims: z.object({ sent: z.number().int(), paid: z.number().int(), partial: z.number().int(), denied: z.number().int(), reversed: z.number().int(), unpaid: z.number().int() }),
  denialsByReason: z.array(z.object({ group: z.string(), reason: z.string(), words: z.string(), claims: z.number().int(), cents: z.number().int() })),
  unmatchedRemitClaims: z.array(remittanceClaimSchema),
  remittancesWithoutDeposit: z.array(remittanceSchema),
  depositsWithoutRemittance: z.array(depositSchema),
  amountMismatches: z.array(z.object({ remittanceId: z.number(), depositId: z.number(), trace: z.string(), remitCents: z.number().int(), depositCents: z.number().int() })),
  remittances: z.array(remittanceSchema),
})
export type Reconciliation = z.infer<typeof reconciliationSchema>

import { z } from 'zod'
import { claimFileSchema, claimIssueSchema, claimSettingsSchema, claimSummarySchema, CLAIM_STATUSES, depositSchema, reconciliationSchema, remittanceClaimSchema, remittanceSchema } from '../billing'
import { method } from './define'

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
const practice = z.object({ practiceId: z.string().min(1) })
const generated = z.object({ file: claimFileSchema.nullable(), claims: z.array(claimSummarySchema), refused: z.array(claimIssueSchema) })
/** A file's text as uploaded (an 835 or a deposit CSV); capped like any stored input from outside. */
const upload = practice.extend({ fileName: z.string().trim().min(1).max(255), content: z.string().max(64 * 1024 * 1024) })

export const billingApi = {
  'billing.settings': method('msg.view_meta', practice, claimSettingsSchema.nullable()),
  /** Claim settings (submitter/receiver ids, billing NPI/TIN, payer ids). Audited as a practice change. */
  'billing.saveSettings': method('conn.manage', practice.extend({ settings: claimSettingsSchema }), claimSettingsSchema),
  /** The claims pending charges would make now, each with its problems; nothing is stored. */
  'billing.previewClaims': method('msg.view_meta', practice.extend({ from: day.optional(), to: day.optional() }),
    z.array(z.object({ patientRef: z.number(), serviceDate: z.string(), totalCents: z.number().int(), lineCount: z.number().int(), payerId: z.string(), issues: z.array(claimIssueSchema) })),
  ),
  /** Writes one claim file (837P or CSV) with every valid pending claim; refused claims are listed with their problems. Audited. */
  'billing.generateClaims': method('records.write', practice.extend({ format: z.enum(['837p', 'csv']).default('837p'), from: day.optional(), to: day.optional() }), generated),
  /** Replacement (7) or void (8) of a claim already sent: the only way a claim is sent again. Audited. */
  'billing.resubmitClaim': method('records.write', practice.extend({ claimId: z.number().int().positive(), frequency: z.enum(['7', '8']) }), generated),
  'billing.claims': method('msg.view_meta',
    z.object({ practiceId: z.string().optional(), practiceIds: z.array(z.string()).optional(), status: z.enum(CLAIM_STATUSES).optional(), afterId: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(200) }),
    z.array(claimSummarySchema),
  ),
  'billing.claimFiles': method('msg.view_meta', practice.extend({ limit: z.number().int().min(1).max(500).default(50) }), z.array(claimFileSchema)),
  /** A claim file's bytes (PHI): audited. */
  'billing.claimFileContent': method('msg.export', practice.extend({ id: z.number().int().positive() }), z.object({ fileName: z.string(), content: z.string() })),
  /** Imports an 835: balanced first (an unbalanced file is reported, not posted); a trace already posted is skipped. Audited. */
  'billing.importRemittance': method('records.write', upload,
    z.object({
      fileName: z.string(),
      sha256: z.string(),
      transactions: z.array(z.object({ trace: z.string(), payerTin: z.string(), outcome: z.enum(['posted', 'duplicate', 'unbalanced']), remittanceId: z.number().nullable(), claims: z.number().int(), problems: z.array(z.string()) })),
      depositsMatched: z.number().int(),
    }),
  ),
  /** Bank deposits CSV (date, amount, trace/check number). Audited. */
  'billing.importDeposits': method('records.write', upload,
    z.object({ created: z.number().int(), duplicate: z.number().int(), rejected: z.array(z.object({ line: z.number().int(), message: z.string() })), matched: z.number().int() }),
  ),
  'billing.remittances': method('msg.view_meta', practice.extend({ from: day.optional(), to: day.optional(), limit: z.number().int().min(1).max(1000).default(100) }), z.array(remittanceSchema)),
  'billing.remittanceClaims': method('msg.view_meta', practice.extend({ remittanceId: z.number().int().positive() }), z.array(remittanceClaimSchema)),
  'billing.deposits': method('msg.view_meta', practice.extend({ from: day.optional(), to: day.optional() }), z.array(depositSchema)),
  /** Expected vs paid vs deposited for a practice and period, unmatched items, denials by reason. */
  'billing.reconciliation': method('msg.view_meta', practice.extend({ from: day, to: day }), reconciliationSchema),
  'billing.exportReconciliation': method('msg.export', practice.extend({ from: day, to: day }), z.object({ fileName: z.string(), content: z.string() })),
}

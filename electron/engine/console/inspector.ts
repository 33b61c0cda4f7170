/**
 * The message inspector, built in the engine so PHI never reaches the console unmasked unless
 * someone asked for one value: every stage of a transaction as a tree and as masked text, and the
 * field-level diff of the records it changed. `reveal` returns one field (or one whole stage) in
 * clear and appends an audit entry naming who, which transaction and which path, never the value.
 */
import { AppError } from '../../../shared/errors'
import type { InspectorNode, InspectorSettings, InspectorStage, InspectorView, RecordDiff } from '../../../shared/api/inspector'
import { REVEAL_REASON_POLICIES } from '../../../shared/api/inspector'
import type { TX_STAGES } from '../../../shared/api/transactions'
import { decodeHl7Bytes } from '../connectors/hl7/charset'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import { payloadPrunedError, type TransactionsRepo } from '../pipeline/transactions-repo'
import type { TxRow } from '../pipeline/types'
import type { RecordStore } from '../records/record-store'
import type { Db } from '../store/database'
import type { MappingStore } from '../mapping-store/mapping-store'
import { hl7Lineage } from './lineage'
import { hl7Tree, layoutHl7, looksLikeHl7, maskedHl7Text, plainHl7Text, revealHl7Field } from './hl7-tree'
import { csvTree, jsonTree, maskJson, revealCsvCell, revealJson } from './json-tree'
import { MASK } from './phi'
import { diffRecord } from './record-diff'

type Stage = (typeof TX_STAGES)[number]

interface StageContent {
  stage: Stage
  format: InspectorStage['format']
  text: string
  json?: unknown
  derived?: boolean
}

export interface RevealResult {
  path: string
  node: InspectorNode | null
  text: string | null
  diff: { before: string | null; after: string | null } | null
}

/** Opening the same transaction again within this window is not audited again (live refreshes). */
const VIEW_AUDIT_WINDOW_MS = 10 * 60_000

/** Where the installation's reveal policy is kept (the settings table; absent = off). */
const REVEAL_REASON_KEY = 'inspector.revealReason'

export class Inspector {
  private readonly viewed = new Map<string, number>()

  constructor(
    private readonly d: {
      db: Db
      mappings: MappingStore
      txRepo: TransactionsRepo
      records: RecordStore
      audit: AuditLog
      clock: Clock
      /** Pipeline.parsedStage: stored, or derived from the payload for a done message. */
      parsedStage(r: TxRow): { text: string; derived: boolean } | null
    },
  ) {}

  settings(): InspectorSettings {
    const r = this.d.db.prepare('SELECT value FROM settings WHERE key = ?').get(REVEAL_REASON_KEY) as { value: string } | undefined
    const v = (REVEAL_REASON_POLICIES as readonly string[]).includes(r?.value ?? '') ? (r!.value as InspectorSettings['revealReason']) : 'off'
    return { revealReason: v }
  }

  saveSettings(s: InspectorSettings, actor: string): InspectorSettings {
    const before = this.settings()
    this.d.db.transaction(() => {
      this.d.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(REVEAL_REASON_KEY, s.revealReason)
      this.d.audit.append({ actor, action: 'inspector.settings.update', targetType: 'settings', targetId: REVEAL_REASON_KEY, details: { before: before.revealReason, after: s.revealReason } })
    })()
    return this.settings()
  }

  private row(id: number): TxRow {
    const r = this.d.txRepo.get(id)
    if (!r) throw new AppError('not_found', `Transaction ${id} does not exist.`)
    return r
  }

  /** The stages a transaction has, decoded and classified. */
  private stages(r: TxRow): StageContent[] {
    const out: StageContent[] = []
    const payload = (stage: Stage, buf: Buffer): void => {
      if (r.content_type === 'hl7v2' || looksLikeHl7(buf.subarray(0, 16).toString('latin1'))) {
        let text: string
        try {
          text = decodeHl7Bytes(buf)
        } catch {
          text = buf.toString('utf8')
        }
        out.push({ stage, format: 'hl7', text })
      } else out.push(classify(stage, buf.toString('utf8'), r.content_type === 'csv'))
    }
    // Retention removed the payload: no raw or current stage at all (the console says why).
    if (r.raw_pruned_at === null) {
      payload('raw', r.raw)
      if (r.payload_version > 0) payload('current', this.d.txRepo.currentPayload(r))
    }
    const parsed = this.d.parsedStage(r)
    for (const [stage, text, derived] of [
      ['parsed', parsed?.text ?? null, parsed?.derived === true],
      ['mapped', r.mapped, false],
      ['outbound', r.outbound, false],
    ] as const) {
      if (text === null) continue
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        out.push({ stage, format: 'text', text })
        continue
      }
      if (typeof json === 'string') out.push(classify(stage, json, false))
      else out.push({ stage, format: 'json', text, json, ...(derived ? { derived } : {}) })
    }
    if (r.response !== null) out.push(classify('response', r.response, false))
    return out
  }

  view(id: number, actor: string): InspectorView {
    const r = this.row(id)
    const stages = this.stages(r).map(renderStage)
    const mapped = stages.find((s) => s.stage === 'mapped')
    if (mapped && (r.content_type === 'hl7v2' || r.connector === 'hl7') && r.mapped !== null) {
      try {
        mapped.lineage = hl7Lineage(r.message_type, JSON.parse(r.mapped), (key) => this.d.mappings.effective(r.practice_id, key))
      } catch {
        /* no lineage for a mapped stage that is not JSON */
      }
    }
    const diffs: RecordDiff[] = this.d.records.changesForTx(id).map((c) => ({
      recordId: c.recordId,
      kind: c.kind,
      op: c.op,
      at: c.at,
      fields: diffRecord(c.before, c.after),
    }))
    const key = `${actor}\u0000${id}`
    const now = this.d.clock.now()
    if ((this.viewed.get(key) ?? -Infinity) + VIEW_AUDIT_WINDOW_MS < now) {
      if (this.viewed.size > 10_000) this.viewed.clear()
      this.viewed.set(key, now)
      this.d.audit.append({ actor, action: 'transaction.inspect', practiceId: r.practice_id, targetType: 'transaction', targetId: String(id), details: { masked: true } })
    }
    return { id, stages, diffs }
  }

  reveal(target: { id: number; stage: Stage | 'diff'; path: string; reason?: string }, actor: string): RevealResult {
    const reason = target.reason?.trim() || undefined
    if (!reason && this.settings().revealReason === 'required') {
      throw new AppError('invalid_input', 'This installation asks for a reason before patient data is shown.', { details: { issues: [{ path: 'reason', message: 'say why you need to see it' }] } })
    }
    const r = this.row(target.id)
    const result = this.resolve(r, target)
    this.d.audit.append({
      actor,
      action: 'phi.reveal',
      practiceId: r.practice_id,
      targetType: 'transaction',
      targetId: String(r.id),
      details: { stage: target.stage, path: target.path, ...(reason ? { reason } : {}) },
    })
    return result
  }

  private resolve(r: TxRow, t: { stage: Stage | 'diff'; path: string }): RevealResult {
    const none = { path: t.path, node: null, text: null, diff: null }
    if (t.stage === 'diff') {
      const m = /^(\d+):(.+)$/.exec(t.path)
      const change = m ? this.d.records.changesForTx(r.id)[Number(m[1])] : undefined
      if (!m || !change) throw new AppError('not_found', `No record change at "${t.path}".`)
      const f = diffRecord(change.before, change.after, m[2]).find((x) => x.path === m[2])
      if (!f) throw new AppError('not_found', `No changed field "${m[2]}".`)
      return { ...none, diff: { before: f.before, after: f.after } }
    }
    const all = this.stages(r)
    // "current" is the payload the next attempt will process: the original until it is edited.
    const s = all.find((x) => x.stage === t.stage) ?? (t.stage === 'current' ? all.find((x) => x.stage === 'raw') : undefined)
    if (!s && (t.stage === 'raw' || t.stage === 'current')) throw payloadPrunedError(r) ?? new AppError('not_found', `Transaction ${r.id} has no ${t.stage} stage.`)
    if (!s) throw new AppError('not_found', `Transaction ${r.id} has no ${t.stage} stage.`)
    if (t.path === '*') return { ...none, text: s.format === 'hl7' ? plainHl7Text(layoutHl7(s.text)) : s.format === 'json' ? JSON.stringify(s.json, null, 2) : s.text }
    let node: InspectorNode | null = null
    try {
      if (s.format === 'hl7') node = revealHl7Field(layoutHl7(s.text), t.path)
      else if (s.format === 'json') node = revealJson(s.json, t.path)
      else if (s.format === 'csv') node = revealCsvCell(s.text, t.path)
    } catch {
      node = null
    }
    if (!node) throw new AppError('not_found', `Nothing at "${t.path}" in the ${t.stage} stage.`)
    return { ...none, node }
  }
}

function classify(stage: Stage, text: string, csv: boolean): StageContent {
  if (looksLikeHl7(text)) return { stage, format: 'hl7', text }
  const t = text.trimStart()
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return { stage, format: 'json', text, json: JSON.parse(text) }
    } catch {
      /* not JSON after all */
    }
  }
  return { stage, format: csv ? 'csv' : 'text', text }
}

function renderStage(s: StageContent): InspectorStage {
  switch (s.format) {
    case 'hl7': {
      const layout = layoutHl7(s.text)
      const { tree, maskedCount } = hl7Tree(layout)
      return { stage: s.stage, format: 'hl7', text: maskedHl7Text(layout), tree, maskedCount, parseError: layout.parseError }
    }
    case 'json': {
      const { tree, maskedCount, truncated } = jsonTree(s.json)
      const parseError = truncated ? 'The document is large: the tree shows its first 5000 members.' : null
      return { stage: s.stage, format: 'json', text: JSON.stringify(maskJson(s.json), null, 2), tree, maskedCount, parseError, ...(s.derived ? { derived: true } : {}) }
    }
    case 'csv': {
      const { tree, maskedCount, maskedText } = csvTree(s.text)
      return { stage: s.stage, format: 'csv', text: maskedText, tree, maskedCount, parseError: null }
    }
    case 'text':
      // Free text has no fields to tell PHI from the rest: all of it is masked until revealed.
      return { stage: s.stage, format: 'text', text: s.text.length ? `${MASK} (${s.text.length} characters, reveal to read)` : '', tree: [], maskedCount: s.text.length ? 1 : 0, parseError: null }
  }
}

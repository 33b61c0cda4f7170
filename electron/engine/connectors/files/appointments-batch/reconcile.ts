/**
 * The conflict rules of a schedule row against the stored appointment, field by field, with the
 * last synced copy as the base (a three-way compare): changed on one side → that side; changed
 * on both → the field's owner, else the review queue. Status only moves forward; cancelled and
 * no-show are final unless reopened by review; checked-out or charge-entered is never overwritten.
 */
import { APPT_SYNC_FIELDS, DEFAULT_FIELD_OWNERS, type ApptSyncField, type ConflictRule, type FieldOwner } from '../../../../../shared/appointment-batch'

export type Fields = Partial<Record<ApptSyncField, unknown>>

export interface FieldDiff {
  field: ApptSyncField
  base: unknown
  ours: unknown
  theirs: unknown
}

export interface Decision {
  /** Values to write (the file's side where it wins). */
  changes: Fields
  /** Fields that wait for review (both_changed or final_status). */
  review: FieldDiff[]
  /** Every rule that fired, with its fields (reported even when it decided on its own). */
  fired: Array<{ rule: ConflictRule; fields: ApptSyncField[] }>
}

const ACTIVE_RANK: Record<string, number> = { open: 0, scheduled: 1, checked_in: 2, checked_out: 3, charge_entered: 4 }
const FINAL = new Set(['cancelled', 'no_show'])
const LOCKED = new Set(['checked_out', 'charge_entered'])

const norm = (v: unknown): unknown => (v === undefined || v === '' ? null : v)
export const same = (a: unknown, b: unknown): boolean => JSON.stringify(norm(a)) === JSON.stringify(norm(b))

export function ownerOf(owners: Partial<Record<ApptSyncField, FieldOwner>>, f: ApptSyncField): FieldOwner {
  return owners[f] ?? DEFAULT_FIELD_OWNERS[f]
}

/** Whether a move from `from` to `to` is allowed for a file: forward only; out of a final state never. */
export function statusMove(from: unknown, to: unknown): 'ok' | 'backward' | 'reopen' {
  const a = String(from ?? '')
  const b = String(to ?? '')
  if (a === b || a === '') return 'ok'
  if (FINAL.has(a)) return 'reopen'
  if (FINAL.has(b)) return 'ok'
  return (ACTIVE_RANK[b] ?? 0) >= (ACTIVE_RANK[a] ?? 0) ? 'ok' : 'backward'
}

export function reconcile(theirs: Fields, ours: Fields, base: Fields | null, owners: Partial<Record<ApptSyncField, FieldOwner>>): Decision {
  const d: Decision = { changes: {}, review: [], fired: [] }
  const fire = (rule: ConflictRule, field: ApptSyncField): void => {
    const f = d.fired.find((x) => x.rule === rule)
    if (f) f.fields.push(field)
    else d.fired.push({ rule, fields: [field] })
  }
  const differing = APPT_SYNC_FIELDS.filter((f) => f in theirs && !same(theirs[f], ours[f]))
  if (differing.length === 0) return d
  if (LOCKED.has(String(ours.status ?? ''))) {
    for (const f of differing) fire('locked_after_checkout', f)
    return d
  }
  for (const f of differing) {
    const t = theirs[f]
    const o = ours[f]
    const b = base?.[f]
    // Without a base (first time this source sends it), only the file is taken to have changed.
    const theirChanged = base ? !same(t, b) : true
    const ourChanged = base ? !same(o, b) : false
    if (!theirChanged) continue
    let take = !ourChanged
    if (ourChanged) {
      const owner = ownerOf(owners, f)
      if (owner === 'review') {
        fire('both_changed', f)
        d.review.push({ field: f, base: b ?? null, ours: o ?? null, theirs: t ?? null })
        continue
      }
      fire(owner === 'file' ? 'owner_file' : 'owner_studio', f)
      take = owner === 'file'
    }
    if (take && f === 'status') {
      const move = statusMove(o, t)
      if (move === 'backward') {
        fire('status_forward_only', f)
        continue
      }
      if (move === 'reopen') {
        fire('final_status', f)
        d.review.push({ field: f, base: b ?? null, ours: o ?? null, theirs: t ?? null })
        continue
      }
    }
    if (take) d.changes[f] = t
  }
  return d
}

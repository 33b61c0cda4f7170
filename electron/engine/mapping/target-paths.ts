/**
 * The target picker's list, derived from the record schemas in shared/records.ts so a field
 * added there shows up in the editor without a second list to maintain.
 */
import type { z } from 'zod'
import type { CustomField, TargetPathInfo } from '../../../shared/mapping'
import { PHI_FIELDS, RECORD_SCHEMAS, type RecordKind } from '../../../shared/records'

interface Def {
  type: string
  innerType?: z.ZodType
  shape?: Record<string, z.ZodType>
  element?: z.ZodType
  entries?: Record<string, string>
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s
  for (let i = 0; i < 10; i++) {
    const d = defOf(cur)
    if (!['optional', 'nullable', 'default', 'readonly', 'nonoptional', 'catch'].includes(d.type) || !d.innerType) break
    cur = d.innerType
  }
  return cur
}

function walk(schema: z.ZodType, prefix: string, repeated: boolean, out: TargetPathInfo[]): void {
  const s = unwrap(schema)
  const d = defOf(s)
  const segs = prefix.split('.')
  const phi = segs.some((seg) => PHI_FIELDS.has(seg))
  const push = (info: Omit<TargetPathInfo, 'path' | 'phi'>): void => {
    out.push({ path: prefix, phi, ...(repeated ? { repeated: true } : {}), ...info })
  }
  switch (d.type) {
    case 'object': {
      const shape = (s as unknown as { shape: Record<string, z.ZodType> }).shape
      for (const [k, v] of Object.entries(shape)) walk(v, prefix ? `${prefix}.${k}` : k, repeated, out)
      return
    }
    case 'array': {
      const el = unwrap(d.element as z.ZodType)
      if (defOf(el).type === 'object') walk(el, `${prefix}.0`, true, out)
      else push({ type: 'array' })
      return
    }
    case 'enum':
      push({ type: 'enum', enumValues: Object.values(d.entries ?? {}).map(String) })
      return
    case 'string':
    case 'number':
    case 'boolean':
      push({ type: d.type })
      return
    case 'record':
      // `custom` and other open maps: the set declares its keys (customFields).
      return
    default:
      push({ type: 'unknown' })
  }
}

export function listTargetPaths(record: RecordKind, customFields: readonly CustomField[] = []): TargetPathInfo[] {
  const schema = RECORD_SCHEMAS[record]
  if (!schema) return []
  const out: TargetPathInfo[] = []
  walk(schema as z.ZodType, '', false, out)
  const hasCustom = 'custom' in (schema as unknown as { shape: Record<string, unknown> }).shape
  if (hasCustom) {
    for (const c of customFields) {
      out.push({ path: `custom.${c.key}`, type: c.type === 'date' ? 'string' : c.type, phi: c.phi ?? false, custom: true })
    }
  }
  return out
}

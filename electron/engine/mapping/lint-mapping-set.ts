/**
 * Definition checks for the editor's save button and for shipped sets: things the zod schema
 * cannot see because they span the set (a code_map naming a map that does not exist, a target
 * the record does not have, a regex that does not compile, a constant zone nobody knows).
 */
import { mappingSetSchema, type MappingLintIssue, type MappingSet, type Transform, type Validation } from '../../../shared/mapping'
import { sourcesOf } from './evaluate-mapping'
import { parsePath } from './paths'
import { listTargetPaths } from './target-paths'
import { zoneFromName } from './time-zones'

function regexError(pattern: string, flags = ''): string | undefined {
  try {
    new RegExp(pattern, flags)
    return undefined
  } catch {
    return 'regular expression does not compile'
  }
}

/** Numeric segments collapse to 0 so `insurance.1.member_id` is checked as `insurance.0.member_id`. */
const shapeOf = (path: string): string =>
  parsePath(path)
    .map((s) => (/^\d+$/.test(s) ? '0' : s))
    .join('.')

export function lintMappingSet(input: MappingSet): MappingLintIssue[] {
  const parsed = mappingSetSchema.safeParse(input)
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({ severity: 'error', path: i.path.map(String).join('.'), message: i.message }))
  }
  const set = parsed.data
  const issues: MappingLintIssue[] = []
  const mapNames = new Set(set.codeMaps.map((m) => m.name))
  const usedMaps = new Set<string>()
  const nested = (set.output ?? 'nested') === 'nested'
  const recordPaths = new Set(listTargetPaths(set.record, set.customFields).map((p) => p.path))
  const customKeys = new Set(set.customFields.map((c) => c.key))

  const walkChain = (chain: readonly Transform[], at: string, fieldId: string): void => {
    chain.forEach((t, i) => {
      const p = `${at}.${i}`
      const add = (severity: MappingLintIssue['severity'], message: string, sub = ''): void => {
        issues.push({ severity, path: sub ? `${p}.${sub}` : p, fieldId, message })
      }
      switch (t.op) {
        case 'code_map':
          usedMaps.add(t.map)
          if (!mapNames.has(t.map)) add('error', `no code map named '${t.map}'`, 'map')
          break
        case 'regex_replace': {
          const e = regexError(t.pattern, t.flags ?? 'g')
          if (e) add('error', e, 'pattern')
          break
        }
        case 'datetime_utc':
        case 'datetime_local':
          if (t.zone.from === 'constant' && !zoneFromName(t.zone.zone)) add('error', `unknown time zone '${t.zone.zone}'`, 'zone.zone')
          break
        case 'if': {
          if (t.when.test === 'matches') {
            const e = regexError(t.when.pattern, (t.when.flags ?? '').replace('g', ''))
            if (e) add('error', e, 'when.pattern')
          }
          walkChain(t.then, `${p}.then`, fieldId)
          walkChain(t.else ?? [], `${p}.else`, fieldId)
          break
        }
        default:
          break
      }
    })
  }

  set.fields.forEach((f, i) => {
    const at = `fields.${i}`
    walkChain(f.transforms, `${at}.transforms`, f.id)
    ;(f.validations ?? []).forEach((v: Validation, vi) => {
      if (v.rule === 'regex') {
        const e = regexError(v.pattern, (v.flags ?? '').replace('g', ''))
        if (e) issues.push({ severity: 'error', path: `${at}.validations.${vi}.pattern`, fieldId: f.id, message: e })
      }
    })
    if (set.direction === 'inbound' && nested) {
      const segs = parsePath(f.target)
      if (segs[0] === 'custom' && segs.length === 2) {
        if (!customKeys.has(segs[1] as string)) issues.push({ severity: 'error', path: `${at}.target`, fieldId: f.id, message: `custom field '${segs[1]}' is not declared` })
      } else if (!recordPaths.has(shapeOf(f.target))) {
        issues.push({ severity: 'error', path: `${at}.target`, fieldId: f.id, message: `'${f.target}' is not a ${set.record} field` })
      }
    }
    if (set.direction === 'outbound') {
      // Outbound sets read a canonical record; a source it does not have is always empty.
      sourcesOf(f).forEach((s) => {
        const segs = parsePath(s)
        const known = recordPaths.has(shapeOf(s)) || (segs[0] === 'custom' && segs.length === 2 && customKeys.has(segs[1] as string))
        if (!known) issues.push({ severity: 'warning', path: `${at}.source`, fieldId: f.id, message: `'${s}' is not a ${set.record} field` })
      })
    }
    if (f.source === undefined && !f.transforms.some((t) => t.op === 'constant' || t.op === 'default' || t.op === 'concat')) {
      issues.push({ severity: 'warning', path: `${at}.source`, fieldId: f.id, message: 'no source and no constant: the field is always empty' })
    }
  })

  set.codeMaps.forEach((m, i) => {
    if (!usedMaps.has(m.name)) issues.push({ severity: 'warning', path: `codeMaps.${i}`, message: `code map '${m.name}' is not used by any field` })
    if (m.onMiss === 'default' && m.default === undefined) {
      issues.push({ severity: 'warning', path: `codeMaps.${i}.default`, message: `code map '${m.name}' falls back to a default but has none: misses leave the field empty` })
    }
  })
  return issues
}

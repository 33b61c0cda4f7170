/**
 * An HL7 v2 message as the inspector's tree: segments → fields → repetitions → components →
 * subcomponents, each with its path (`PID-5.1`, `OBX[2]-5`) and name, values with escape sequences
 * decoded. PHI fields come masked unless revealed. Built on the HL7 library's segment model; a
 * message that does not parse is still laid out (default delimiters, no validation), because the
 * messages operators most need to read are the ones that failed — but with every value masked:
 * when the parser could not segment it, nothing says a name sits where PID-5 would be (a missing
 * segment separator puts PID inside MSH), so such a message is masked as a whole until revealed.
 */
import type { InspectorNode } from '../../../shared/api/inspector'
import { DEFAULT_DELIMITERS, readDelimiters, type Hl7Delimiters } from '../connectors/hl7/delimiters'
import { utf8HexDecoder } from '../connectors/hl7/escape'
import { parseHl7, splitSegmentLines } from '../connectors/hl7/parser'
import { parseHl7Path } from '../connectors/hl7/path'
import { HL7_NULL, Hl7Segment, type Hl7Context } from '../connectors/hl7/segment'
import { componentName, componentType, fieldInfo, segmentName } from './hl7-dictionary'
import { isHl7PhiField, MASK } from './phi'

export interface Hl7Layout {
  segments: Hl7Segment[]
  delimiters: Hl7Delimiters
  parseError: string | null
}

/** Segments of `text`, parsed strictly when possible and leniently otherwise. */
export function layoutHl7(text: string): Hl7Layout {
  try {
    const msg = parseHl7(text)
    return { segments: [...msg.segments], delimiters: msg.delimiters, parseError: null }
  } catch (e) {
    const lines = splitSegmentLines(text)
    let delimiters = DEFAULT_DELIMITERS
    try {
      if (lines[0]?.startsWith('MSH')) delimiters = readDelimiters(lines[0])
    } catch {
      /* keep the defaults */
    }
    const ctx: Hl7Context = { delimiters, hexDecoder: utf8HexDecoder }
    const segments = lines.filter((l) => l.length >= 3).map((l) => new Hl7Segment(l, ctx))
    return { segments, delimiters, parseError: (e as Error).message }
  }
}

export function looksLikeHl7(text: string): boolean {
  return /^\s*(\uFEFF)?(MSH|FHS|BHS)./.test(text)
}

function valueType(seg: Hl7Segment): string | undefined {
  return seg.id === 'OBX' ? seg.value(2) : undefined
}

function isPhi(seg: Hl7Segment, field: number): boolean {
  return isHl7PhiField(seg.id, field, valueType(seg))
}

/** Decoded leaf text; the HL7 null `""` is shown as written. */
function leaf(seg: Hl7Segment, f: number, r: number, c: number, s: number, raw: string): string {
  if (raw === HL7_NULL) return HL7_NULL
  return seg.value(f, r, c, s) ?? ''
}

function segmentPaths(segments: Hl7Segment[]): string[] {
  const seen = new Map<string, number>()
  return segments.map((s) => {
    const n = (seen.get(s.id) ?? 0) + 1
    seen.set(s.id, n)
    return n === 1 ? s.id : `${s.id}[${n}]`
  })
}

export function fieldNode(seg: Hl7Segment, segPath: string, n: number, reveal: boolean, maskAll = false): InspectorNode | null {
  const raw = seg.field(n)
  if (raw === '') return null
  const info = fieldInfo(seg.id, n)
  const path = `${segPath}-${n}`
  const base: InspectorNode = { path, label: `${seg.id}-${n}`, ...(info.name ? { name: info.name } : {}), ...(info.type ? { dataType: info.type } : {}) }
  if (!reveal && (maskAll || isPhi(seg, n))) return { ...base, masked: true }
  if (seg.isHeader && n <= 2) return { ...base, value: raw }
  const d = seg.delimiters
  const reps = seg.repetitions(n)
  const repNodes = reps.map((rep, ri) => {
    const comps = rep.split(d.component)
    const compNodes: InspectorNode[] = []
    const compText = comps.map((comp, ci) => {
      const subs = comp.split(d.subcomponent)
      const subText = subs.map((sub, si) => leaf(seg, n, ri + 1, ci + 1, si + 1, sub))
      const text = subText.join(d.subcomponent)
      if (comps.length > 1 && comp !== '') {
        const cpath = `${reps.length > 1 ? `${path}(${ri + 1})` : path}.${ci + 1}`
        const cname = componentName(info.type, ci + 1)
        const ctype = componentType(info.type, ci + 1)
        const node: InspectorNode = { path: cpath, label: `${seg.id}-${n}.${ci + 1}`, ...(cname ? { name: cname } : {}), ...(ctype ? { dataType: ctype } : {}), value: text }
        if (subs.length > 1) {
          node.children = []
          subs.forEach((sub, si) => {
            if (sub !== '') node.children!.push({ path: `${cpath}.${si + 1}`, label: `${seg.id}-${n}.${ci + 1}.${si + 1}`, value: subText[si] as string })
          })
        }
        compNodes.push(node)
      }
      return text
    })
    return { text: compText.join(d.component), compNodes }
  })
  const value = repNodes.map((r) => r.text).join(d.repetition)
  if (reps.length > 1) {
    return {
      ...base,
      value,
      children: repNodes.map((r, i) => ({
        path: `${path}(${i + 1})`,
        label: `${seg.id}-${n}(${i + 1})`,
        ...(info.name ? { name: `${info.name}, repetition ${i + 1}` } : {}),
        value: r.text,
        ...(r.compNodes.length ? { children: r.compNodes } : {}),
      })),
    }
  }
  const only = repNodes[0]
  return { ...base, value, ...(only && only.compNodes.length ? { children: only.compNodes } : {}) }
}

export interface Hl7Tree {
  tree: InspectorNode[]
  maskedCount: number
}

export function hl7Tree(layout: Hl7Layout): Hl7Tree {
  let maskedCount = 0
  const paths = segmentPaths(layout.segments)
  const tree = layout.segments.map((seg, i) => {
    const segPath = paths[i] as string
    const children: InspectorNode[] = []
    for (let n = 1; n <= seg.fieldCount; n++) {
      const node = fieldNode(seg, segPath, n, false, layout.parseError !== null)
      if (!node) continue
      if (node.masked) maskedCount++
      children.push(node)
    }
    const name = segmentName(seg.id)
    return { path: segPath, label: seg.id, ...(name ? { name } : {}), children }
  })
  return { tree, maskedCount }
}

/**
 * The message as text, one segment a line, with the PHI fields' contents replaced; a message that
 * did not parse is masked whole (only its size is told).
 */
export function maskedHl7Text(layout: Hl7Layout): string {
  if (layout.parseError !== null) {
    const size = layout.segments.reduce((a, s) => a + s.raw.length + 1, -1)
    return `${MASK} (${Math.max(size, 0)} characters, masked as a whole because the message did not parse; reveal to read)`
  }
  return layout.segments
    .map((seg) => {
      if (seg.isHeader) return seg.raw
      const parts = seg.raw.split(layout.delimiters.field)
      for (let n = 1; n < parts.length; n++) if (parts[n] !== '' && isPhi(seg, n)) parts[n] = MASK
      return parts.join(layout.delimiters.field)
    })
    .join('\n')
}

export function plainHl7Text(layout: Hl7Layout): string {
  return layout.segments.map((s) => s.raw).join('\n')
}

/** One field in clear, addressed by its tree path (`PID-5`, `NK1[2]-4`). */
export function revealHl7Field(layout: Hl7Layout, path: string): InspectorNode | null {
  const p = parseHl7Path(path)
  let seen = 0
  const seg = layout.segments.find((s) => s.id === p.segment && ++seen === (p.segmentIndex ?? 1))
  if (!seg) return null
  const segPath = (p.segmentIndex ?? 1) === 1 ? p.segment : `${p.segment}[${p.segmentIndex}]`
  return fieldNode(seg, segPath, p.field, true)
}

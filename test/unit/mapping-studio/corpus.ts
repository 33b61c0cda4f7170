/** The corpus (test/corpus): walked, never listed by hand. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CORPUS_ROOT } from '../../support/corpus-dir'

export const CORPUS = CORPUS_ROOT

export function corpusFiles(sub: string, ext: string): { name: string; path: string; text: string }[] {
  const dir = join(CORPUS, sub)
  return readdirSync(dir)
    .filter((n) => n.endsWith(ext))
    .sort()
    .map((name) => {
      const path = join(dir, name)
      return { name, path, text: readFileSync(path, 'utf8').replace(/^\uFEFF/, '') }
    })
}

/** Every resource of a type in the FHIR folders, including Bundle entries. */
export function fhirResources(type: string): { file: string; resource: Record<string, unknown> }[] {
  const out: { file: string; resource: Record<string, unknown> }[] = []
  for (const folder of readdirSync(join(CORPUS, 'fhir')).sort()) {
    for (const f of corpusFiles(join('fhir', folder), '.json')) {
      const doc = JSON.parse(f.text) as Record<string, unknown>
      if (doc.resourceType === type) out.push({ file: f.name, resource: doc })
      if (doc.resourceType === 'Bundle' && Array.isArray(doc.entry)) {
        ;(doc.entry as { resource?: Record<string, unknown> }[]).forEach((e, i) => {
          if (e.resource?.resourceType === type) out.push({ file: `${f.name}#${i}`, resource: e.resource })
        })
      }
    }
  }
  return out
}

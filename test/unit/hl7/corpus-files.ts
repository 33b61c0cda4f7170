/** Walks the HL7 corpus (test/corpus/hl7/<TYPE>/*.hl7); never a hard-coded list. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { HL7_CORPUS } from '../../support/corpus-dir'
import { mulberry32 } from '../../support/prng'

export const CORPUS_DIR = HL7_CORPUS

export interface CorpusFile {
  folder: string
  name: string
  path: string
  bytes: Buffer
}

export function corpusFiles(filter: (folder: string) => boolean = () => true): CorpusFile[] {
  const out: CorpusFile[] = []
  for (const folder of readdirSync(CORPUS_DIR).sort()) {
    const dir = join(CORPUS_DIR, folder)
    if (!statSync(dir).isDirectory() || !filter(folder)) continue
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.hl7')) continue
      const path = join(dir, name)
      out.push({ folder, name, path, bytes: readFileSync(path) })
    }
  }
  return out
}

export const validFiles = (): CorpusFile[] => corpusFiles((f) => f !== '_invalid')
export const invalidFiles = (): CorpusFile[] => corpusFiles((f) => f === '_invalid')

export const prng = mulberry32

/** A fixed clock for ACK timestamps and sender timeouts driven by real timers. */
export const fixedClock = (nowMs: number) => ({
  now: () => nowMs,
  monotonic: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((res, rej) => {
      if (signal?.aborted) return rej(signal.reason)
      const t = setTimeout(res, ms)
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t)
          rej(signal.reason)
        },
        { once: true },
      )
    }),
})

/**
 * CPU time of this test process in ms, for guards against hangs and blow-ups: a busy shared
 * machine stretches the wall clock, not the work done (vitest runs each file in a fork of its own).
 */
export function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

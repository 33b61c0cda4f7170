/** The HL7 corpus as a stream for a real MLLP peer (mllp_send): its files, their bytes on the wire, and the replies. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { HL7_CORPUS as CORPUS } from '../../support/corpus-dir'

export interface CorpusFile {
  folder: string
  name: string
  bytes: Buffer
}

export function corpus(filter: (folder: string) => boolean): CorpusFile[] {
  const out: CorpusFile[] = []
  for (const folder of readdirSync(CORPUS).sort()) {
    const dir = join(CORPUS, folder)
    if (!statSync(dir).isDirectory() || !filter(folder)) continue
    for (const name of readdirSync(dir).sort()) if (name.endsWith('.hl7')) out.push({ folder, name, bytes: readFileSync(join(dir, name)) })
  }
  return out
}

/** What mllp_send puts on the wire for a framed file: the frame content without leading/trailing VT and CR. */
export function wireBytes(b: Buffer): Buffer {
  let s = 0
  let e = b.length
  while (s < e && (b[s] === 0x0b || b[s] === 0x0d)) s++
  while (e > s && (b[e - 1] === 0x0b || b[e - 1] === 0x0d)) e--
  return b.subarray(s, e)
}

/** mllp_send prints each reply as received (framed) followed by a newline. */
export function splitReplies(stdout: string): Buffer[] {
  const out: Buffer[] = []
  const buf = Buffer.from(stdout, 'latin1')
  let i = 0
  for (;;) {
    const vt = buf.indexOf(0x0b, i)
    if (vt < 0) break
    const fs = buf.indexOf(0x1c, vt)
    if (fs < 0) break
    out.push(buf.subarray(vt + 1, fs))
    i = fs + 1
  }
  return out
}


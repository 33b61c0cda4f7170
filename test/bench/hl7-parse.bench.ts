/**
 * HL7 parse throughput: our parser vs hl7-standard and node-hl7-client on the shared corpus mix.
 * Each library parses the message text and reads MSH-9.1, MSH-9.2 and PID-5.1 (PID only where
 * the message has one). Goal: at least 3x the fastest peer. Run: npx tsx test/bench/hl7-parse.bench.ts
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Message } from 'node-hl7-client'
import { parseHl7, parseHl7Batch } from '../../electron/engine/connectors/hl7'
import { HL7_CORPUS } from '../support/corpus-dir'

const GOAL = 3
const TARGET_PARSES = 60_000
const ROUNDS = 3
/** Per library and round: slow peers stop early so the run stays short; rates are per parse. */
const ROUND_BUDGET_MS = 4_000

interface Sample {
  text: string
  hasPid: boolean
}

type Op = (s: Sample) => number

/** hl7-standard ships no type declarations; this is the part of its API the benchmark uses. */
interface Hl7StandardMessage {
  transform(): void
  get(path: string): unknown
}
const HL7 = createRequire(import.meta.url)('hl7-standard') as new (text: string) => Hl7StandardMessage

const ours: Op = (s) => {
  const m = parseHl7(s.text)
  let n = (m.get('MSH-9') ?? '').length + (m.get('MSH-9.2') ?? '').length
  if (s.hasPid) n += (m.get('PID-5.1') ?? '').length
  return n
}

const hl7Standard: Op = (s) => {
  const h = new HL7(s.text)
  h.transform()
  let n = String(h.get('MSH.9.1') ?? '').length + String(h.get('MSH.9.2') ?? '').length
  if (s.hasPid) n += String(h.get('PID.5.1') ?? '').length
  return n
}

const nodeHl7Client: Op = (s) => {
  const m = new Message({ text: s.text })
  let n = m.get('MSH.9.1').toString().length + m.get('MSH.9.2').toString().length
  if (s.hasPid) n += m.get('PID.5.1').toString().length
  return n
}

function corpusMessages(dir: string): Sample[] {
  const out: Sample[] = []
  for (const folder of readdirSync(dir).sort()) {
    if (folder === '_invalid' || !statSync(join(dir, folder)).isDirectory()) continue
    for (const name of readdirSync(join(dir, folder)).sort()) {
      for (const m of parseHl7Batch(readFileSync(join(dir, folder, name))).messages) {
        out.push({ text: m.raw, hasPid: m.segment('PID') !== undefined })
      }
    }
  }
  return out
}

/** The same value as ours, or the peer cannot read this message (custom delimiters, etc.). */
function agrees(op: Op, s: Sample): boolean {
  try {
    return op(s) === ours(s)
  } catch {
    return false
  }
}

function measure(op: Op, mix: Sample[], budgetMs = Infinity): { perSec: number; parses: number; checksum: number } {
  let checksum = 0
  let parses = 0
  const t0 = performance.now()
  let now = t0
  for (const s of mix) {
    checksum += op(s)
    if (++parses % 500 === 0 && (now = performance.now()) - t0 > budgetMs) break
  }
  now = performance.now()
  return { perSec: (parses / (now - t0)) * 1000, parses, checksum }
}

function repeatTo(samples: Sample[], n: number): Sample[] {
  const out: Sample[] = []
  while (out.length < n) for (const s of samples) out.push(s)
  return out.slice(0, n)
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

export function main(): { ratio: number } {
  const require = createRequire(import.meta.url)
  // node-hl7-client does not export its package.json, so read it next to the resolved entry.
  const version = (pkg: string): string => {
    const entry = require.resolve(pkg)
    const root = entry.slice(0, entry.lastIndexOf(`node_modules/${pkg}`) + `node_modules/${pkg}`.length)
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
  }
  const corpusDir = HL7_CORPUS
  const all = corpusMessages(corpusDir)
  // Compare on the messages every library reads correctly, so no one is timed on failures.
  const common = all.filter((s) => agrees(hl7Standard, s) && agrees(nodeHl7Client, s))
  const mix = repeatTo(common, TARGET_PARSES)
  const libs: [string, Op][] = [
    ['ours (engine/connectors/hl7)', ours],
    [`hl7-standard ${version('hl7-standard')}`, hl7Standard],
    [`node-hl7-client ${version('node-hl7-client')}`, nodeHl7Client],
  ]
  for (const [, op] of libs) measure(op, mix.slice(0, 2_000)) // warm-up
  const best = new Map<string, number>()
  const parses = new Map<string, number>()
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, op] of r % 2 === 0 ? libs : [...libs].reverse()) {
      const m = measure(op, mix, ROUND_BUDGET_MS)
      if (m.perSec > (best.get(name) ?? 0)) {
        best.set(name, m.perSec)
        parses.set(name, m.parses)
      }
    }
  }
  const oursRate = best.get(libs[0]![0]) ?? 0
  const peerRates = libs.slice(1).map(([name]) => best.get(name) ?? 0)
  const fastestPeer = Math.max(...peerRates)
  const ratio = oursRate / fastestPeer

  console.log('HL7 parse benchmark: parse + read MSH-9.1, MSH-9.2, PID-5.1')
  console.log(`corpus: ${all.length} messages, ${common.length} read identically by all three; mix of ${fmt(mix.length)} parses, best of ${ROUNDS} rounds`)
  for (const [name] of libs) console.log(`${name.padEnd(34)} ${fmt(best.get(name) ?? 0).padStart(10)} msgs/s  (${fmt(parses.get(name) ?? 0)} parses timed)`)
  const fullMix = repeatTo(all, TARGET_PARSES)
  let fullRate = 0
  for (let r = 0; r < ROUNDS; r++) fullRate = Math.max(fullRate, measure(ours, fullMix).perSec)
  console.log(`${'ours on the full corpus mix'.padEnd(34)} ${fmt(fullRate).padStart(10)} msgs/s  (all ${all.length} messages)`)
  console.log(`ours / fastest peer: ${ratio.toFixed(1)}x (goal >= ${GOAL}x) ${ratio >= GOAL ? 'MET' : 'NOT MET'}`)
  return { ratio }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main()

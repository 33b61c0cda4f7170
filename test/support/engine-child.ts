/**
 * The engine in a child process of its own (test/fixtures/hl7/engine-child.ts), so SIGKILL really
 * kills it: used by the kill -9 test and the kill -9 soak. `openChildDb` opens its database
 * read-only with the key from its secret store, as a restarted engine would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import { DB_FILE, loadDatabaseKey } from '../../electron/engine/core/data-dir'
import { createFileStore } from '../../electron/engine/secrets/file-store'
import { openDatabase, type Db } from '../../electron/engine/store/database'

const CHILD = resolve('test/fixtures/hl7/engine-child.ts')

export interface EngineChild {
  proc: ChildProcess
  /** The MLLP listener's port (a new one after every restart). */
  port: number
  stderr: string[]
  exited: Promise<void>
}

/** `child`/`args`: another fixture (e.g. the FHIR webhook engine) and what it takes after the key. */
export function startEngineChild(dataDir: string, keyHex: string, opts: { child?: string; args?: string[] } = {}): Promise<EngineChild> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', opts.child ?? CHILD, dataDir, keyHex, ...(opts.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stderr: string[] = []
    const exited = new Promise<void>((r) => proc.once('exit', () => r()))
    let buf = ''
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d))
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const m = /LISTENING (\d+)\n/.exec(buf)
      if (m) res({ proc, port: Number(m[1]), stderr, exited })
    })
    void exited.then(() => rej(new Error(`engine child exited before listening:\n${stderr.join('')}`)))
  })
}

/**
 * Runs a fixture that reports its progress as "WORD arg" lines on stdout until it exits; `onLine`
 * sees each line with the process, to kill it at the moment a test is about.
 */
export function runReportingChild(script: string, args: string[], onLine: (word: string, arg: string | undefined, proc: ChildProcess) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', resolve(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let buf = ''
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const [word, arg] = buf.slice(0, i).split(' ')
        buf = buf.slice(i + 1)
        onLine(word!, arg, proc)
      }
    })
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    proc.on('error', fail)
    proc.on('close', (code) => done({ code, stderr }))
  })
}

export async function openChildDb(dataDir: string, keyHex: string): Promise<Db> {
  const store = createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: Buffer.from(keyHex, 'hex'), location: 'engine child' })
  const dbFile = join(dataDir, DB_FILE)
  return openDatabase({ file: dbFile, keyHex: await loadDatabaseKey(store, dbFile), readonly: true })
}

/**
 * Runs a crash fixture that says "APPLIED n" per row it applies, "STALLED" when it blocks inside
 * its write transaction (killed then with SIGKILL, kill -9), and "IDLE" when it has nothing left.
 */
export async function runUntilStalled(script: string, args: string[]): Promise<{ applied: number[]; stalled: boolean; idle: boolean; code: number | null; stderr: string }> {
  const r = { applied: [] as number[], stalled: false, idle: false }
  const end = await runReportingChild(script, args, (word, arg, child) => {
    if (word === 'APPLIED') r.applied.push(Number(arg))
    else if (word === 'IDLE') r.idle = true
    else if (word === 'STALLED') {
      r.stalled = true
      child.kill('SIGKILL')
    }
  })
  return { ...r, ...end }
}

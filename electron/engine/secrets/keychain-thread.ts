/**
 * OS keychain calls on a thread of their own, each with a time limit.
 *
 * @napi-rs/keyring's AsyncEntry runs its calls on the thread pool, but its constructor opens the
 * Secret Service session on the calling thread: measured 9 ms of blocked event loop per secret on a
 * healthy gnome-keyring, and 25 s (libdbus's reply timeout) when the daemon does not answer. In CI
 * that froze `serve` at start-up without a word. Here one worker makes every call with the
 * synchronous API, so the event loop that answers peers never waits on the keychain. A call that
 * overruns its limit is refused as unavailable and its worker abandoned (it ends when its call
 * returns); the next call starts a fresh one.
 *
 * The worker is plain JavaScript run with `eval: true` (as store/db-worker.ts explains), requiring
 * the keyring module by the absolute path this thread resolved.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'

/**
 * How long one keychain call may take. Long enough for a person to answer a desktop unlock prompt;
 * `PRACTICE_STUDIO_KEYCHAIN_TIMEOUT_MS` changes it.
 */
export const KEYCHAIN_TIMEOUT_MS = 30_000

export type KeychainOp = 'get' | 'set' | 'delete'

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { Entry } = require(workerData.keyringPath)
parentPort.on('message', ({ id, op, service, account, value }) => {
  try {
    // On Linux the Secret Service store is pinned (keychain-store.ts says why).
    const e = new Entry(service, account, { linux: { store: 'secret-service' } })
    const out = op === 'get' ? e.getPassword() : op === 'set' ? e.setPassword(value) : e.deletePassword()
    parentPort.postMessage({ id, ok: true, value: out === undefined ? null : out })
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err && err.message ? err.message : String(err) })
  }
})
`

interface Pending {
  resolve(v: unknown): void
  reject(e: Error): void
  timer: NodeJS.Timeout
}

let worker: Worker | null = null
const pending = new Map<number, Pending>()
let nextId = 1

function limitMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.PRACTICE_STUDIO_KEYCHAIN_TIMEOUT_MS)
  return Number.isFinite(v) && v > 0 ? v : KEYCHAIN_TIMEOUT_MS
}

function keyringPath(): string {
  const anchor = typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js')
  return createRequire(anchor).resolve('@napi-rs/keyring')
}

/** Rejects every call waiting on `w` and forgets the worker, so the next call starts a fresh one. */
function abandon(w: Worker, reason: (id: number) => Error): void {
  if (worker !== w) return
  worker = null
  for (const [id, p] of pending) {
    clearTimeout(p.timer)
    p.reject(reason(id))
  }
  pending.clear()
  w.unref()
  void w.terminate()
}

function start(): Worker {
  const w = new Worker(SOURCE, { eval: true, workerData: { keyringPath: keyringPath() } })
  w.on('message', (m: { id: number; ok: boolean; value?: unknown; message?: string }) => {
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    clearTimeout(p.timer)
    if (pending.size === 0) w.unref()
    if (m.ok) p.resolve(m.value)
    else p.reject(new Error(m.message))
  })
  w.on('error', (e) => abandon(w, () => e))
  w.on('exit', (code) => abandon(w, () => new Error(`the keychain thread exited (${code})`)))
  w.unref()
  return w
}

/** One keychain call on the keychain thread; rejects after the time limit with the reason. */
export function keychainCall(op: KeychainOp, service: string, account: string, value?: string): Promise<unknown> {
  const w = (worker ??= start())
  const id = nextId++
  const ms = limitMs()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Calls queued behind this one would wait on the same stuck call: they fail with it.
      abandon(w, () => new Error(`no answer within ${ms / 1000} s (is it locked, waiting for an unlock prompt?)`))
    }, ms)
    timer.unref()
    pending.set(id, { resolve, reject, timer })
    // A call in flight keeps the process up (start-up waits on the database key).
    w.ref()
    w.postMessage({ id, op, service, account, value })
  })
}

/**
 * Resolves once no keychain call is in flight, or after `ms`. A process that exits in the middle of
 * a call leaves the Secret Service a request from a client that is gone, the case gnome-keyring 42
 * was seen to abort on (keychain-store.ts), so a clean stop lets the last call (an audit checkpoint,
 * say) finish first.
 */
export async function keychainSettled(ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}

/**
 * The last step of a clean stop: lets the call in flight finish (keychainSettled), then ends the
 * keychain thread and waits (up to `ms`) for it to be gone, so the process exits with no thread of
 * its own still holding a D-Bus connection. A serve stopped by SIGTERM once ended by a signal, not
 * with 0, in CI; a thread torn down by exit() itself is the one thing such a stop still left to
 * chance. A thread stuck inside a call cannot be ended and is left to exit().
 */
export async function keychainClose(ms = 2_000): Promise<void> {
  await keychainSettled()
  const w = worker
  if (!w) return
  worker = null
  const gone = new Promise<void>((resolve) => w.once('exit', () => resolve()))
  void w.terminate()
  await Promise.race([gone, new Promise((r) => setTimeout(r, ms).unref())])
}

/**
 * Debian's python3-hl7 asyncio MLLP server (test/fixtures/hl7/py_mllp_server.py) as a real peer
 * for our sender: it ACKs every message AA and prints one line per message it got.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

/** The system python3, the one Debian's python3-hl7 is installed for (not a pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3'
export const PY_SERVER = resolve('test/fixtures/hl7/py_mllp_server.py')

/** The verified asyncio MLLP server; resolves with its port once it listens. */
export async function startPyServer(): Promise<{ port: number; received: string[]; stop(): Promise<void> }> {
  const child = spawn(PYTHON, [PY_SERVER, '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const received: string[] = []
  let buf = ''
  const port = await new Promise<number>((res, rej) => {
    const t = setTimeout(() => rej(new Error('python MLLP server did not start')), 20_000)
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        const m = /^LISTENING (\d+)$/.exec(line)
        if (m) {
          clearTimeout(t)
          res(Number(m[1]))
        } else received.push(line)
      }
    })
    child.once('exit', (code) => rej(new Error(`python MLLP server exited (${code})`)))
  })
  return {
    port,
    received,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r()
        child.once('exit', () => r())
        child.kill('SIGTERM')
      }),
  }
}

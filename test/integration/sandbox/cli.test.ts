import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const ROOT = new URL('../../../', import.meta.url)
let child: ChildProcess | undefined

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  child = undefined
})

function spawnCli(args: string[]): { proc: ChildProcess; lines: AsyncIterableIterator<string> } {
  // The tsx CLI, as in `npx tsx electron/sandbox/athena/cli.ts --port 0`; it relays signals to the child.
  const tsx = fileURLToPath(new URL('node_modules/.bin/tsx', ROOT))
  const proc = spawn(tsx, ['electron/sandbox/athena/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() }
}

describe('sandbox CLI', () => {
  it('prints its banner and limits, serves requests and stops cleanly on SIGTERM', async () => {
    const { proc, lines } = spawnCli(['--port', '0', '--patients', '50'])
    child = proc
    const banner = (await lines.next()).value as string
    const m = /^athenaNet sandbox: http:\/\/127\.0\.0\.1:(\d+) client_id=(\S+) client_secret=(\S+) practice=195900$/.exec(banner)
    expect(m).not.toBeNull()
    const limits = (await lines.next()).value as string
    expect(limits).toContain('5 QPS')
    expect(limits).toContain('5 token requests/min')
    expect(limits).toContain('token lifetime 3600 s')
    expect(limits).toContain('preview')

    const [, port, id, secret] = m!
    const tokenRes = await fetch(`http://127.0.0.1:${port}/oauth2/v1/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'athena/service/Athenanet.MDP.*' }),
    })
    const { access_token } = (await tokenRes.json()) as { access_token: string }
    const ping = await fetch(`http://127.0.0.1:${port}/v1/195900/ping`, { headers: { Authorization: `Bearer ${access_token}` } })
    expect(await ping.json()).toEqual({ pong: 'true' })

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
    proc.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('rejects unknown options with exit code 2', async () => {
    const { proc } = spawnCli(['--bogus'])
    child = proc
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)))
    expect(code).toBe(2)
  })
})

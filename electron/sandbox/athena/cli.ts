/**
 * `npm run sandbox -- --port N` (bundled as out/main/sandbox.js) or
 * `npx tsx electron/sandbox/athena/cli.ts --port 0`. The first stdout line is a fixed format that
 * scripts and the console parse for the URL and credentials; the second states the limits.
 */
import { bannerLine, CliError, limitsLine, parseCliArgs, USAGE } from './cli-args'
import { resolveConfig } from './config'
import { startAthenaSandbox } from './server'

async function main(): Promise<void> {
  let opts
  try {
    opts = parseCliArgs(process.argv.slice(2))
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n${USAGE}\n`)
      process.exit(2)
    }
    throw e
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const { help: _help, ...options } = opts
  const sandbox = await startAthenaSandbox(options)
  const cfg = resolveConfig(options)
  process.stdout.write(`${bannerLine(sandbox.url, sandbox.clientId, sandbox.clientSecret, sandbox.practiceId)}\n`)
  process.stdout.write(`${limitsLine(cfg)}\n`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    process.stderr.write(`athenaNet sandbox: ${signal}, shutting down\n`)
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

main().catch((e: unknown) => {
  process.stderr.write(`athenaNet sandbox failed to start: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})

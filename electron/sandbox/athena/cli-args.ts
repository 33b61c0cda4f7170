/**
 * Argument parsing and banner text for the sandbox CLI, kept apart from cli.ts so they can be
 * tested without starting a process.
 */
import type { AthenaSandboxOptions } from './config'
import { PREVIEW_DEFAULTS } from './config'

export const USAGE = `Usage: sandbox [--port N] [--host H] [--qps N] [--patients N] [--token-lifetime S] [--seed X]
                [--daily-quota N] [--token-requests-per-minute N] [--legacy-throttle] [--retry-after]
  --port 0 (default) lets the OS pick a free port.`

export class CliError extends Error {}

function num(flag: string, v: string | undefined, min = 0): number {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new CliError(`${flag} needs a number`)
  const n = Number(v)
  if (n < min) throw new CliError(`${flag} must be at least ${min}`)
  return n
}

export function parseCliArgs(argv: string[]): AthenaSandboxOptions & { help?: boolean } {
  const out: AthenaSandboxOptions & { help?: boolean } = { port: 0 }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!
    const eq = raw.indexOf('=')
    const flag = eq > 0 ? raw.slice(0, eq) : raw
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined
    const value = (): string | undefined => inline ?? argv[++i]
    switch (flag) {
      case '--port': {
        const p = num(flag, value())
        if (!Number.isInteger(p) || p > 65535) throw new CliError('--port must be an integer 0-65535')
        out.port = p
        break
      }
      case '--host':
        out.host = value()
        if (!out.host) throw new CliError('--host needs a value')
        break
      case '--qps':
        out.qps = num(flag, value())
        break
      case '--patients':
        out.patientCount = Math.floor(num(flag, value()))
        break
      case '--token-lifetime':
        out.tokenLifetimeSeconds = num(flag, value(), 1)
        break
      case '--seed': {
        const s = value()
        if (s === undefined) throw new CliError('--seed needs a value')
        out.seed = /^\d+$/.test(s) ? Number(s) : s
        break
      }
      case '--daily-quota':
        out.dailyQuota = Math.floor(num(flag, value()))
        break
      case '--token-requests-per-minute':
        out.tokenRequestsPerMinute = Math.floor(num(flag, value()))
        break
      case '--legacy-throttle':
        out.throttleStatus = 403
        break
      case '--retry-after':
        out.retryAfter = true
        break
      case '--help':
      case '-h':
        out.help = true
        break
      default:
        throw new CliError(`Unknown option ${raw}`)
    }
  }
  return out
}

export function bannerLine(url: string, clientId: string, clientSecret: string, practiceId: number): string {
  return `athenaNet sandbox: ${url} client_id=${clientId} client_secret=${clientSecret} practice=${practiceId}`
}

export function limitsLine(o: { qps: number; dailyQuota: number; tokenLifetimeSeconds: number; tokenRequestsPerMinute: number }): string {
  const isPreview =
    o.qps === PREVIEW_DEFAULTS.qps &&
    o.dailyQuota === PREVIEW_DEFAULTS.dailyQuota &&
    o.tokenLifetimeSeconds === PREVIEW_DEFAULTS.tokenLifetimeSeconds &&
    o.tokenRequestsPerMinute === PREVIEW_DEFAULTS.tokenRequestsPerMinute
  const show = (n: number): string => (n > 0 ? String(n) : 'unlimited')
  return (
    `limits: ${show(o.qps)} QPS, daily quota ${show(o.dailyQuota)} calls (resets 00:00 GMT), token lifetime ${o.tokenLifetimeSeconds} s, ` +
    `${show(o.tokenRequestsPerMinute)} token requests/min — ` +
    (isPreview
      ? 'preview-environment defaults (token figures documented by athena; QPS and daily quota are unverified estimates)'
      : 'overridden from the preview-environment defaults')
  )
}

/**
 * `npm run serve`: the engine and the console without Electron, on 127.0.0.1 (or, with an
 * operator-supplied TLS certificate, any address). Everyone signs in; on the first run the
 * printed address carries a one-time setup token (in the URL fragment, never sent to a server
 * log) for creating the administrator. Prints the console URL and one line per network listener.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { version } from '../../package.json'
import { AppError } from '../../shared/errors'
import { CONNECTOR_MODULES } from '../engine/connectors'
import { defaultDataDir, ensureDataDir, resolveSecretStore } from '../engine/core/data-dir'
import { openEngine } from '../engine/core/engine'
import { createLogger, fileSink, stderrSink, type LogLevel } from '../engine/core/logger'
import { engineSettingsFromEnv } from '../engine/core/engine-settings'
import { engineLogFile } from '../engine/core/log-reader'
import { importConfig } from '../engine/config/config-io'
import { accessSettingsSchema, type AccessSettings } from '../engine/access/settings'
import { checkSchedule, loadBackupKey } from '../engine/maintenance/backup'
import { restoreBackup } from '../engine/maintenance/restore'
import { parseMasterKey } from '../engine/secrets/file-store'
import { keychainClose } from '../engine/secrets/keychain-thread'
import { isLoopback, startHttpTransport, type TlsOptions } from './http-transport'

const USAGE = `Usage: npm run serve -- [options]
  --data-dir DIR          data folder (default: ${defaultDataDir()})
  --port N                console port on 127.0.0.1 (default 0 = OS-assigned)
  --host ADDR             console bind address (default 127.0.0.1); any other address needs TLS
  --tls-cert FILE         PEM certificate chain for the console (HTTPS, TLS 1.2+, HSTS)
  --tls-key FILE          PEM private key for --tls-cert
  --tls-client-ca FILE    PEM CA bundle: require a client certificate signed by it
  --access-config FILE    session limits, lockout, second factor, single sign-on (docs/CONFIG.md)
  --config FILE           apply a configuration file at start (see docs/CONFIG.md)
  --master-key-file FILE  master key for the encrypted secrets file (headless, no keychain)
  --secret-store MODE     auto | keychain | file (default auto)
  --log-level LEVEL       debug | info | warn | error (default info; stderr shows warnings and errors)
  --restore FILE          restore a backup into --data-dir (which must hold no database), then start
  --backup-key-file FILE  the backup (recovery) key for --restore
  --export-backup-key FILE  write this installation's backup key to FILE (0600) and exit
  --help
Engine limits come from PS_* environment variables (docs/CONFIG.md, "Engine limits").`

function staticDir(): string | null {
  const candidates = [join(__dirname, '../renderer'), resolve(process.cwd(), 'out/renderer')]
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null
}

/** Wrong arguments: one line saying what, then the usage; exit status 2 (no stack trace). */
class UsageError extends Error {}

function parseCli(): ReturnType<typeof parseCliStrict> {
  try {
    return parseCliStrict()
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? ''
    if (!code.startsWith('ERR_PARSE_ARGS')) throw e
    const name = /'([^']+)'/.exec((e as Error).message)?.[1]
    const what: Record<string, string> = {
      ERR_PARSE_ARGS_UNKNOWN_OPTION: `unknown option ${name ?? ''}`,
      ERR_PARSE_ARGS_INVALID_OPTION_VALUE: `option ${name ?? ''} needs a value`,
      ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: `unexpected argument ${name ?? ''}`,
    }
    throw new UsageError(what[code] ?? (e as Error).message.split('\n')[0])
  }
}

function parseCliStrict() {
  return parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string' },
      'master-key-file': { type: 'string' },
      'secret-store': { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'info' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      'access-config': { type: 'string' },
      restore: { type: 'string' },
      'backup-key-file': { type: 'string' },
      'export-backup-key': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
}

async function main(): Promise<void> {
  const { values } = parseCli()
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535 (got ${values.port.slice(0, 40)})`)
  const mode = values['secret-store']
  if (mode !== 'auto' && mode !== 'keychain' && mode !== 'file') throw new UsageError('--secret-store must be auto, keychain or file')
  const tls = readTls(values['tls-cert'], values['tls-key'], values['tls-client-ca'])
  if (!isLoopback(values.host) && !tls) {
    throw new AppError('invalid_input', `--host ${values.host} would expose the console beyond this machine: that needs TLS (--tls-cert and --tls-key; see docs/CONFIG.md, "Serving beyond this machine"). Sign-in is always required.`)
  }
  const access = readAccessConfig(values['access-config'])
  const level = values['log-level'] as LogLevel
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError('--log-level must be debug, info, warn or error')
  const settings = engineSettingsFromEnv()
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  ensureDataDir(dataDir)
  const logger = createLogger({ level, sinks: [stderrSink, fileSink(engineLogFile(dataDir), { maxBytes: settings.logMaxBytes, files: settings.logFiles })], fields: { pid: process.pid } })

  const { store } = await resolveSecretStore(dataDir, { mode, masterKeyFile: values['master-key-file'] ?? null })
  if (store.warning) process.stderr.write(`\nWARNING: ${store.warning}\n\n`)

  const operator = `${safeUser()}@${hostname()}`
  if (values.restore) {
    if (!values['backup-key-file']) throw new AppError('invalid_input', '--restore needs --backup-key-file (the recovery key exported with --export-backup-key).')
    let backupKey: Buffer
    try {
      backupKey = parseMasterKey(readFileSync(resolve(values['backup-key-file']), 'utf8'))
    } catch {
      throw new AppError('invalid_input', `${values['backup-key-file']} is not a backup key: it must hold the 64 hex characters written by --export-backup-key.`)
    }
    const r = await restoreBackup({ file: resolve(values.restore), dataDir, backupKey, secrets: store, actor: `${operator} (serve --restore)` })
    process.stdout.write(`restored: backup of ${new Date(r.createdAt).toISOString()} (version ${r.version}); integrity ${r.integrity.database}/${r.integrity.inbox}; audit trail ${r.audit.ok ? `verifies (${r.audit.checked} entries)` : `DOES NOT VERIFY: ${r.audit.reason}`}\n`)
  }
  const engine = await openEngine({ dataDir, secrets: store, logger, mode: 'headless', version, operator, settings, access }, CONNECTOR_MODULES)

  if (values['export-backup-key']) {
    const target = resolve(values['export-backup-key'])
    writeFileSync(target, (await loadBackupKey(store)).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    engine.ctx.audit.append({ actor: `${operator} (serve --export-backup-key)`, action: 'backup.key_export', targetType: 'backup_key', details: { file: target } })
    await engine.stop()
    process.stdout.write(`The backup key was written to ${target}. Keep it away from this machine: a backup cannot be restored without it.\n`)
    return
  }

  if (values.config) {
    const text = readFileSync(resolve(values.config), 'utf8')
    const r = importConfig(
      { db: engine.ctx.db, practices: engine.ctx.practices, connections: engine.ctx.connections, audit: engine.ctx.audit, mappings: engine.ctx.mappings, systemSettings: engine.ctx.systemSettings, checkSystem: (s) => checkSchedule(s.backups.schedule) },
      text,
      `${operator} (serve --config)`,
    )
    if (!r.ok) {
      await engine.stop()
      const lines = r.issues.map((i) => `  ${values.config}:${i.line ?? '?'}:${i.column ?? '?'} ${i.path ? i.path + ': ' : ''}${i.message}`)
      throw new AppError('config_invalid', `The configuration file is invalid; nothing was applied:\n${lines.join('\n')}`)
    }
  }

  await engine.start()
  const http = await startHttpTransport({
    dispatch: engine.dispatch,
    events: engine.ctx.events,
    access: engine.ctx.access,
    staticDir: staticDir(),
    logger: logger.child({ component: 'http' }),
    host: values.host,
    port,
    tls,
  })
  // The first person to open the console creates the administrator; over HTTP that needs this one-time token.
  const setupToken = engine.ctx.access.armSetupToken()
  if (!isLoopback(values.host)) {
    engine.ctx.audit.append({ actor: `${operator} (serve)`, action: 'console.listen', targetType: 'listener', targetId: `${values.host}:${http.port}`, details: { tls: true, clientCertificate: Boolean(tls?.clientCa) } })
    logger.warn('console listening beyond loopback (TLS, sign-in required)', { host: values.host, port: http.port, clientCertificate: Boolean(tls?.clientCa) })
  }

  // A clean stop is armed before anything says ready: whoever reads the ready line may send SIGTERM at once.
  let stopping = false
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      process.stderr.write('Forced exit.\n')
      process.exit(1)
    }
    stopping = true
    logger.info('shutting down', { signal })
    await http.close()
    await engine.stop()
    await keychainClose()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  for (const l of engine.ctx.listeners()) {
    if (l.state === 'listening') process.stdout.write(`listening: ${l.kind} ${l.practiceId}/${l.name} ${l.host}:${l.port}\n`)
  }
  // One write: a reader that acts on the ready line (a test, a supervisor) has the first-run hint with it.
  const firstRun = setupToken ? 'First run: open that address to create the administrator (the setup link works once).\n' : ''
  process.stdout.write(`Console ready: ${http.url}/${setupToken ? `#setup=${setupToken}` : ''}\n${firstRun}`)
  logger.info('console ready', { port: http.port, dataDir })
}

function readTls(cert: string | undefined, key: string | undefined, clientCa: string | undefined): TlsOptions | undefined {
  if (!cert && !key && !clientCa) return undefined
  if (!cert || !key) throw new AppError('invalid_input', '--tls-cert and --tls-key go together.')
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(resolve(file))
    } catch {
      throw new AppError('invalid_input', `${flag}: cannot read the file.`)
    }
  }
  return { cert: read('--tls-cert', cert), key: read('--tls-key', key), ...(clientCa ? { clientCa: read('--tls-client-ca', clientCa) } : {}) }
}

function readAccessConfig(file: string | undefined): AccessSettings | undefined {
  if (!file) return undefined
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(resolve(file), 'utf8'))
  } catch (e) {
    throw new AppError('config_invalid', `--access-config ${file}: ${(e as Error).message}`)
  }
  const r = accessSettingsSchema.safeParse(raw)
  if (!r.success) throw new AppError('config_invalid', `--access-config ${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`)
  return r.data
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'operator'
  }
}

main().catch((e) => {
  if (e instanceof UsageError) {
    process.stderr.write(`practice-studio serve: ${e.message}\n${USAGE}\n`)
    process.exit(2)
  }
  const msg = e instanceof AppError ? `${e.message}` : `Unexpected error: ${(e as Error)?.stack ?? String(e)}`
  process.stderr.write(`practice-studio serve: ${msg}\n`)
  process.exit(1)
})

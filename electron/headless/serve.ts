/**
 * `npm run serve`: the engine and the console without Electron, on 127.0.0.1 behind a random
 * session token. Prints the console URL and one line per network listener it opens.
 */
import { randomBytes } from 'node:crypto'
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
import { engineLogFile } from '../engine/core/log-reader'
import { importConfig } from '../engine/config/config-io'
import { checkSchedule, loadBackupKey } from '../engine/maintenance/backup'
import { restoreBackup } from '../engine/maintenance/restore'
import { parseMasterKey } from '../engine/secrets/file-store'
import { startHttpTransport } from './http-transport'

const USAGE = `Usage: npm run serve -- [options]
  --data-dir DIR          data folder (default: ${defaultDataDir()})
  --port N                console port on 127.0.0.1 (default 0 = OS-assigned)
  --host ADDR             console bind address (default 127.0.0.1)
  --config FILE           apply a configuration file at start (see docs/CONFIG.md)
  --master-key-file FILE  master key for the encrypted secrets file (headless, no keychain)
  --secret-store MODE     auto | keychain | file (default auto)
  --log-level LEVEL       debug | info | warn | error (default info)
  --restore FILE          restore a backup into --data-dir (which must hold no database), then start
  --backup-key-file FILE  the backup (recovery) key for --restore
  --export-backup-key FILE  write this installation's backup key to FILE (0600) and exit
  --help`

function staticDir(): string | null {
  const candidates = [join(__dirname, '../renderer'), resolve(process.cwd(), 'out/renderer')]
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string' },
      'master-key-file': { type: 'string' },
      'secret-store': { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'info' },
      restore: { type: 'string' },
      'backup-key-file': { type: 'string' },
      'export-backup-key': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('invalid_input', `--port must be 0..65535 (got ${values.port}).`)
  const mode = values['secret-store']
  if (mode !== 'auto' && mode !== 'keychain' && mode !== 'file') throw new AppError('invalid_input', '--secret-store must be auto, keychain or file.')
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  const level = values['log-level'] as LogLevel
  ensureDataDir(dataDir)
  const logger = createLogger({ level, sinks: [stderrSink, fileSink(engineLogFile(dataDir))], fields: { pid: process.pid } })

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
  const engine = await openEngine({ dataDir, secrets: store, logger, mode: 'headless', version, operator }, CONNECTOR_MODULES)

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
  const token = randomBytes(24).toString('base64url')
  const http = await startHttpTransport({
    dispatch: engine.dispatch,
    events: engine.ctx.events,
    token,
    staticDir: staticDir(),
    logger: logger.child({ component: 'http' }),
    actor: `${operator} (console)`,
    host: values.host,
    port,
  })

  for (const l of engine.ctx.listeners()) {
    if (l.state === 'listening') process.stdout.write(`listening: ${l.kind} ${l.practiceId}/${l.name} ${l.host}:${l.port}\n`)
  }
  process.stdout.write(`Console ready: ${http.url}/#token=${token}\n`)
  logger.info('console ready', { port: http.port, dataDir })

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
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'operator'
  }
}

main().catch((e) => {
  const msg = e instanceof AppError ? `${e.message}` : `Unexpected error: ${(e as Error)?.stack ?? String(e)}`
  process.stderr.write(`practice-studio serve: ${msg}\n`)
  process.exit(1)
})

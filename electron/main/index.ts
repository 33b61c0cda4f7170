/**
 * The Electron shell: window, tray, single-instance lock, custom app:// protocol, IPC transport.
 * The engine runs here in the main process but knows nothing of Electron; this file only adapts.
 * It cannot launch on the build machine (no Electron binary there); it is type-checked and built.
 */
import { app, BrowserWindow, dialog, Menu, Notification, Tray, nativeImage, protocol, session, shell } from 'electron'
import { hostname, userInfo } from 'node:os'
import { join } from 'node:path'
import { version } from '../../package.json'
import { CONNECTOR_MODULES } from '../engine/connectors'
import { resolveSecretStore } from '../engine/core/data-dir'
import { openEngine, type Engine } from '../engine/core/engine'
import { createLogger, fileSink } from '../engine/core/logger'
import { keychainClose } from '../engine/secrets/keychain-thread'
import { engineSettingsFromEnv } from '../engine/core/engine-settings'
import { engineLogFile } from '../engine/core/log-reader'
import { registerAppProtocol, APP_ORIGIN } from './app-protocol'
import { registerIpc } from './ipc-transport'
import { hardenWebContents } from './harden'
import { TRAY_ICON_DATA_URL } from './tray-icon'

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }])
app.enableSandbox()

let engine: Engine | null = null
let win: BrowserWindow | null = null
let tray: Tray | null = null
let quitting = false

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => showWindow())
  app.whenReady().then(start, (e: unknown) => fatal(e))
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData')
  const settings = engineSettingsFromEnv()
  const logger = createLogger({ sinks: [fileSink(engineLogFile(dataDir), { maxBytes: settings.logMaxBytes, files: settings.logFiles })], fields: { pid: process.pid } })
  // The desktop app always keeps secrets in the OS keychain; it never falls back to a file.
  const { store } = await resolveSecretStore(dataDir, { mode: 'keychain' })
  const operator = `${userInfo().username}@${hostname()}`
  engine = await openEngine({ dataDir, secrets: store, logger, mode: 'desktop', version, operator, settings }, CONNECTOR_MODULES)
  await engine.start()

  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  registerAppProtocol(join(__dirname, '../renderer'))
  registerIpc(engine, `${operator} (desktop)`, () => win)

  engine.ctx.events.onAny((name, payload) => {
    if (name === 'notifications.raised' && Notification.isSupported()) {
      const p = payload as { title: string; message: string }
      new Notification({ title: p.title, body: p.message }).show()
    }
  })

  tray = new Tray(nativeImage.createFromDataURL(TRAY_ICON_DATA_URL))
  tray.setToolTip('Practice Studio Console')
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open console', click: () => showWindow() },
      { type: 'separator' },
      { label: 'Quit (stops the engines)', click: () => void quit() },
    ]),
  )
  showWindow()
}

function showWindow(): void {
  if (win) {
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
    return
  }
  win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'Practice Studio Console',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  hardenWebContents(win.webContents)
  win.once('ready-to-show', () => win?.show())
  // Closing the window keeps the engines running (tray); Quit from the tray stops them.
  win.on('close', (e) => {
    if (!quitting) {
      e.preventDefault()
      win?.hide()
    }
  })
  win.on('closed', () => (win = null))
  void win.loadURL(`${APP_ORIGIN}/index.html`)
}

async function quit(): Promise<void> {
  quitting = true
  tray?.destroy()
  await engine?.stop()
  engine = null
  await keychainClose()
  app.exit(0)
}

app.on('before-quit', (e) => {
  if (engine) {
    e.preventDefault()
    void quit()
  }
})
app.on('window-all-closed', () => {
  /* keep running in the tray */
})
app.on('web-contents-created', (_e, wc) => hardenWebContents(wc))

function fatal(e: unknown): void {
  const msg = (e as Error)?.message ?? String(e)
  shell.beep()
  dialog.showErrorBox('Practice Studio cannot start', msg)
  app.exit(1)
}

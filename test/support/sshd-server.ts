/**
 * A throwaway OpenSSH SFTP server for tests (/work/shared/reference/files.md §1.3): Debian's
 * /usr/sbin/sshd on a loopback port, with a fresh ed25519 host key and client key, running as an
 * unprivileged user (nobody, via setpriv, when the tests run as root; else the current user),
 * internal-sftp rooted in a temp folder. Stopped by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export const SSHD = '/usr/sbin/sshd'

export interface SshdServer {
  host: string
  port: number
  username: string
  /** The server's files: what SFTP paths are relative to. */
  root: string
  clientKey: string
  /** `SHA256:…` of the host key, as ssh-keygen prints it. */
  fingerprint: string
  /** Creates a folder under the server's root owned by the user sshd runs as. */
  mkdir(sub: string): string
  /** Replaces the host key (restart): the pinned fingerprint no longer matches. */
  rotateHostKey(): Promise<void>
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
}

function fingerprintOf(pub: string): string {
  return execFileSync('ssh-keygen', ['-lf', pub, '-E', 'sha256']).toString().split(' ')[1]!
}

export async function startSshd(): Promise<SshdServer> {
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'ps-sshd-'))
  chmodSync(dir, 0o755)
  const root = join(dir, 'data')
  mkdirSync(root)
  keygen(join(dir, 'host'), 'test-host')
  keygen(join(dir, 'client'), 'test-client')
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')))
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      // Unprivileged sshd as a locked account needs PAM for the account check (reference §1.3).
      `UsePAM ${asRoot ? 'yes' : 'no'}`,
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      `ForceCommand internal-sftp -d ${root}`,
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  )
  if (asRoot) {
    for (const f of ['', 'data', 'host', 'host.pub', 'authorized_keys', 'sshd_config']) chownSync(join(dir, f), 65534, 65534)
  }
  chmodSync(join(dir, 'host'), 0o600)
  const username = asRoot ? 'nobody' : userInfo().username
  let proc: ChildProcess | null = null
  const log: string[] = []
  const start = async (): Promise<void> => {
    const args = ['-D', '-e', '-f', config]
    proc = asRoot ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', SSHD, ...args]) : spawn(SSHD, args)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start: ${log.join('')}`)), 10_000)
      proc!.stderr!.on('data', (b: Buffer) => {
        log.push(b.toString())
        if (/Server listening on/.test(log.join(''))) {
          clearTimeout(timer)
          resolve()
        }
      })
      proc!.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`sshd exited (${code}): ${log.join('')}`))
      })
    })
  }
  const stopProc = async (): Promise<void> => {
    const p = proc
    if (!p || p.exitCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await gone
  }
  await start()
  const server: SshdServer = {
    host: '127.0.0.1',
    port,
    username,
    root,
    clientKey: readFileSync(join(dir, 'client'), 'utf8'),
    fingerprint: fingerprintOf(join(dir, 'host.pub')),
    mkdir(sub) {
      const p = join(root, sub)
      mkdirSync(p, { recursive: true })
      if (asRoot) chownSync(p, 65534, 65534)
      return p
    },
    async rotateHostKey() {
      await stopProc()
      rmSync(join(dir, 'host'))
      rmSync(join(dir, 'host.pub'))
      keygen(join(dir, 'host'), 'test-host-2')
      if (asRoot) for (const f of ['host', 'host.pub']) chownSync(join(dir, f), 65534, 65534)
      chmodSync(join(dir, 'host'), 0o600)
      server.fingerprint = fingerprintOf(join(dir, 'host.pub'))
      await start()
    },
    async stop() {
      await stopProc()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return server
}

// The real peers the tests talk to, from Debian. Installed when running as root with apt,
// otherwise we stop and print the exact command. In CI a missing peer is a failure, never a skip.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const PEERS = [
  { pkg: 'chromium', why: 'end-to-end tests drive the real console', ok: () => existsSync('/usr/bin/chromium') },
  { pkg: 'gnome-keyring', why: 'keychain tests use a real Secret Service', ok: () => has('gnome-keyring-daemon') && has('dbus-run-session') },
  { pkg: 'openssh-server', why: 'SFTP file-job tests run a private sshd on a loopback port', ok: () => existsSync('/usr/sbin/sshd') },
  { pkg: 'vsftpd', why: 'FTPS file-job tests run a private vsftpd on a loopback port', ok: () => existsSync('/usr/sbin/vsftpd') },
  { pkg: 'python3-hl7', why: 'HL7 interop tests use its mllp_send and asyncio MLLP server', ok: () => existsSync('/usr/bin/mllp_send') && spawnSync('/usr/bin/python3', ['-c', 'import hl7.mllp'], { stdio: 'ignore' }).status === 0 },
]

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

export function ensurePeers() {
  const missing = PEERS.filter((p) => !p.ok())
  if (missing.length === 0) return
  const pkgs = missing.map((p) => p.pkg)
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkgs.join(' ')}`
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && has('apt-get')) {
    console.log(`Installing test peers: ${pkgs.join(', ')}`)
    execFileSync('sh', ['-c', cmd], { stdio: 'inherit' })
    const still = PEERS.filter((p) => !p.ok())
    if (still.length) throw new Error(`still missing after install: ${still.map((p) => p.pkg).join(', ')}`)
    return
  }
  console.error('The tests need these Debian packages (real peers, never skipped):')
  for (const p of missing) console.error(`  ${p.pkg}: ${p.why}`)
  console.error(`Install them with:\n  sudo sh -c '${cmd}'`)
  process.exit(1)
}

if (import.meta.url === `file://${process.argv[1]}`) ensurePeers()

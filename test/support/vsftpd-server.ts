/**
 * A throwaway vsftpd with explicit FTPS (AUTH TLS) for tests (/work/shared/reference/files.md
 * §1.4): anonymous login forced onto TLS for control and data, a fresh self-signed certificate,
 * passive ports on loopback. vsftpd must start as root (CI runs as root). Stopped by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './sshd-server'

export const VSFTPD = '/usr/sbin/vsftpd'

export interface VsftpdServer {
  host: string
  port: number
  /** The anonymous root; `inbox/` inside it is writable. */
  root: string
  /** Node's fingerprint256 form (AA:BB:…) of the server certificate. */
  fingerprint: string
  /** With `requireClientCert`: the only client certificate accepted, and its key (PEM). */
  client: { certPem: string; keyPem: string } | null
  stop(): Promise<void>
}

/** `requireClientCert`: the server asks for a client certificate and accepts only the one it returns (mutual TLS). */
export async function startVsftpd(opts: { requireClientCert?: boolean } = {}): Promise<VsftpdServer> {
  if (process.getuid?.() !== 0) throw new Error('vsftpd needs root to start (CI runs the integration tests as root)')
  const dir = mkdtempSync(join(tmpdir(), 'ps-vsftpd-'))
  chmodSync(dir, 0o755)
  const anon = join(dir, 'anon')
  const empty = join(dir, 'empty')
  mkdirSync(anon)
  mkdirSync(empty)
  mkdirSync(join(anon, 'inbox'))
  mkdirSync(join(anon, '.psc-probe'))
  chmodSync(anon, 0o555)
  // ftp_username=daemon: an existing user whose home exists (reference §1.4).
  const daemon = Number(execFileSync('id', ['-u', 'daemon']).toString().trim())
  chownSync(join(anon, 'inbox'), daemon, daemon)
  chownSync(join(anon, '.psc-probe'), daemon, daemon)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  const fingerprint = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-fingerprint', '-sha256']).toString().trim().split('=')[1]!
  if (opts.requireClientCert) execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=psc-client', '-keyout', join(dir, 'client-key.pem'), '-out', join(dir, 'client-cert.pem')], { stdio: 'ignore' })
  const port = await freePort()
  const pasv = await freePort()
  const conf = join(dir, 'vsftpd.conf')
  writeFileSync(
    conf,
    [
      'listen=YES',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'seccomp_sandbox=NO',
      `secure_chroot_dir=${empty}`,
      'anonymous_enable=YES',
      'ftp_username=daemon',
      `anon_root=${anon}`,
      'no_anon_password=YES',
      'write_enable=YES',
      'anon_upload_enable=YES',
      'anon_mkdir_write_enable=YES',
      'anon_other_write_enable=YES',
      'anon_umask=022',
      'local_enable=NO',
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      `pasv_min_port=${pasv}`,
      `pasv_max_port=${pasv}`,
      'ssl_enable=YES',
      'allow_anon_ssl=YES',
      'force_anon_logins_ssl=YES',
      'force_anon_data_ssl=YES',
      'require_ssl_reuse=NO',
      'ssl_tlsv1=NO',
      'ssl_sslv2=NO',
      'ssl_sslv3=NO',
      `rsa_cert_file=${join(dir, 'cert.pem')}`,
      `rsa_private_key_file=${join(dir, 'key.pem')}`,
      `vsftpd_log_file=${join(dir, 'vsftpd.log')}`,
      ...(opts.requireClientCert ? ['require_cert=YES', 'validate_cert=YES', `ca_certs_file=${join(dir, 'client-cert.pem')}`] : []),
      '',
    ].join('\n'),
  )
  const proc: ChildProcess = spawn(VSFTPD, [conf], { stdio: 'ignore' })
  // vsftpd says nothing when it is ready: wait until the port answers.
  const net = await import('node:net')
  const until = Date.now() + 10_000
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)))
      s.on('error', () => r(false))
    })
    if (ok) break
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`vsftpd did not start (exit ${proc.exitCode})`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    host: '127.0.0.1',
    port,
    root: anon,
    fingerprint,
    client: opts.requireClientCert ? { certPem: readFileSync(join(dir, 'client-cert.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'client-key.pem'), 'utf8') } : null,
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r))
        proc.kill('SIGTERM')
        await gone
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

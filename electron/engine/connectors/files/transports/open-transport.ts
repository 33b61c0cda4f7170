/**
 * Opens the transport of a file location (a connection of kind sftp, ftps or folder), reading its
 * secrets from the keychain at that moment and never keeping them.
 */
import { AppError } from '../../../../../shared/errors'
import { folderLocationConfigSchema, ftpsLocationConfigSchema, sftpLocationConfigSchema } from '../../../../../shared/files'
import type { StoredConnection, SecretField } from '../../../practices/connections-repo'
import { openFolderTransport } from './folder-transport'
import { openFtpsTransport } from './ftps-transport'
import { openSftpTransport } from './sftp-transport'
import type { FileTransport, OpenOptions } from './transport'

export type SecretReader = (connectionId: string, field: SecretField) => Promise<string | null>

export const LOCATION_KINDS = new Set(['sftp', 'ftps', 'folder'])

export async function openTransport(conn: StoredConnection, secret: SecretReader, opts: OpenOptions = {}): Promise<FileTransport> {
  switch (conn.kind) {
    case 'sftp': {
      const cfg = sftpLocationConfigSchema.parse(conn.config)
      const creds = cfg.auth === 'key'
        ? { privateKey: await secret(conn.id, 'private_key'), passphrase: await secret(conn.id, 'key_passphrase') }
        : { password: await secret(conn.id, 'password') }
      return openSftpTransport(cfg, creds, opts)
    }
    case 'ftps':
    {
      const cfg = ftpsLocationConfigSchema.parse(conn.config)
      const tlsKey = cfg.clientCertPem ? await secret(conn.id, 'tls_key') : null
      if (cfg.clientCertPem && !tlsKey) throw new AppError('config_invalid', `FTPS location "${conn.name}" has a client certificate but no TLS key in the keychain: set its tls_key.`, { retryable: false })
      return openFtpsTransport(cfg, { password: await secret(conn.id, 'password'), tlsKey }, opts)
    }
    case 'folder':
      return openFolderTransport(folderLocationConfigSchema.parse(conn.config), opts)
    default:
      throw new AppError('invalid_input', `Connection "${conn.name}" is not a file location (it is ${conn.kind}).`, { retryable: false })
  }
}

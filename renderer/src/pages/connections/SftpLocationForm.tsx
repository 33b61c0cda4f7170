import { Badge, Group, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { ConnectionFormFooter, ServerFields, configErrors, type ConnectionFormProps } from './ConnectionFormParts'

export interface SftpFormValues {
  name: string
  enabled: boolean
  config: Record<string, unknown>
  /** Write-only: an empty one keeps what the keychain holds. */
  secrets: { private_key?: string; password?: string; key_passphrase?: string }
}

/**
 * An SFTP location as a form: where the server is, who logs in, and the key or password (sent to
 * the keychain, never shown again). The host key is not typed here: the first connection shows the
 * server's fingerprint for the operator to compare and accept (the identity card beside the row).
 */
export function SftpLocationForm({ initial, onSubmit, onCancel, error, busy }: Omit<ConnectionFormProps, 'onSubmit'> & { onSubmit(v: SftpFormValues): void }) {
  const cfg = (initial?.config ?? {}) as Record<string, unknown>
  const [name, setName] = useState(initial?.name ?? 'sftp')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [host, setHost] = useState(String(cfg.host ?? ''))
  const [port, setPort] = useState(Number(cfg.port ?? 22))
  const [username, setUsername] = useState(String(cfg.username ?? ''))
  const [auth, setAuth] = useState<'key' | 'password'>(cfg.auth === 'password' ? 'password' : 'key')
  const [privateKey, setPrivateKey] = useState('')
  const [passphrase, setPassphrase] = useState('')
  const [password, setPassword] = useState('')
  const { fe, err, unplaced } = configErrors(error, ['host', 'port', 'username', 'auth'])
  const isSet = (f: string) => initial?.secrets[f] === true
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const secrets: SftpFormValues['secrets'] = auth === 'key' ? { ...(privateKey.trim() ? { private_key: privateKey.trim() + '\n' } : {}), ...(passphrase ? { key_passphrase: passphrase } : {}) } : password ? { password } : {}
    onSubmit({ name, enabled, config: { host, port, username, auth }, secrets })
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <ServerFields name={name} host={host} port={port} defaultPort={22} nameError={fe.name} err={err} onName={setName} onHost={setHost} onPort={setPort} />
        <Group grow align="flex-end">
          <TextInput label="Username" required value={username} error={err('username')} onChange={(e) => setUsername(e.currentTarget.value)} />
          <SegmentedControl aria-label="Authentication" value={auth} onChange={(v) => setAuth(v as 'key' | 'password')} data={[{ value: 'key', label: 'Private key' }, { value: 'password', label: 'Password' }]} />
        </Group>
        {auth === 'key' ? (
          <>
            <Textarea
              label={
                <Group gap={6} component="span">
                  Private key (OpenSSH or PEM)
                  <Badge size="xs" variant="light" color={isSet('private_key') ? 'teal' : 'orange'} data-testid="key-state">
                    {isSet('private_key') ? 'set' : 'not set'}
                  </Badge>
                </Group>
              }
              description="Goes to the OS keychain; leave empty to keep the stored key."
              autosize
              minRows={3}
              maxRows={8}
              styles={{ input: { fontFamily: 'monospace' } }}
              value={privateKey}
              onChange={(e) => setPrivateKey(e.currentTarget.value)}
            />
            <TextInput label="Key passphrase (if the key has one)" type="password" value={passphrase} onChange={(e) => setPassphrase(e.currentTarget.value)} />
          </>
        ) : (
          <TextInput label={`Password (${isSet('password') ? 'set; empty keeps it' : 'not set'})`} type="password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        )}
        <Text size="sm" c="dimmed">
          Host key: {typeof cfg.hostKeySha256 === 'string' ? <code>{cfg.hostKeySha256}</code> : 'not pinned yet. After saving, check the server identity and accept its fingerprint.'}
        </Text>
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} unplaced={unplaced} isNew={!initial} busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  )
}

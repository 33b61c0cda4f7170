import { Badge, Group, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { ConnectionFormFooter, ScratchFolderField, ServerFields, configErrors, type ConnectionFormProps } from './ConnectionFormParts'

export interface FtpsFormValues {
  name: string
  enabled: boolean
  config: Record<string, unknown>
  /** Write-only: an empty one keeps what the keychain holds. */
  secrets: { password?: string; tls_key?: string }
}

/**
 * An FTPS location as a form: server, explicit or implicit TLS, login and password (to the
 * keychain, never shown again). The certificate is not typed here: like an SSH host key, the
 * first connection shows its fingerprint for the operator to accept (the identity card beside the row).
 */
export function FtpsLocationForm({ initial, onSubmit, onCancel, error, busy }: Omit<ConnectionFormProps, 'onSubmit'> & { onSubmit(v: FtpsFormValues): void }) {
  const cfg = (initial?.config ?? {}) as Record<string, unknown>
  const [name, setName] = useState(initial?.name ?? 'ftps')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [host, setHost] = useState(String(cfg.host ?? ''))
  const [tlsMode, setTlsMode] = useState<'explicit' | 'implicit'>(cfg.tlsMode === 'implicit' ? 'implicit' : 'explicit')
  const [port, setPort] = useState(Number(cfg.port ?? 21))
  const [username, setUsername] = useState(String(cfg.username ?? 'anonymous'))
  const [password, setPassword] = useState('')
  const [clientCert, setClientCert] = useState(typeof cfg.clientCertPem === 'string' ? cfg.clientCertPem : '')
  const [tlsKey, setTlsKey] = useState('')
  const [scratch, setScratch] = useState(String(cfg.scratchFolder ?? '.psc-probe'))
  const { fe, err, unplaced } = configErrors(error, ['host', 'port', 'username', 'tlsMode', 'clientCertPem', 'scratchFolder'])
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const secrets: FtpsFormValues['secrets'] = { ...(password ? { password } : {}), ...(tlsKey.trim() ? { tls_key: tlsKey.trim() + '\n' } : {}) }
    onSubmit({ name, enabled, config: { host, port, username, tlsMode, clientCertPem: clientCert.trim() ? clientCert.trim() + '\n' : null, scratchFolder: scratch }, secrets })
  }
  return (
    <form onSubmit={submit}>
      <Stack>
        <ServerFields name={name} host={host} port={port} defaultPort={21} nameError={fe.name} err={err} onName={setName} onHost={setHost} onPort={setPort} />
        <Group grow align="flex-end">
          <TextInput label="Username" required value={username} error={err('username')} onChange={(e) => setUsername(e.currentTarget.value)} />
          <SegmentedControl
            aria-label="TLS mode"
            value={tlsMode}
            onChange={(v) => {
              setTlsMode(v as 'explicit' | 'implicit')
              // The usual port of each mode, unless the operator chose another one.
              if (port === 21 || port === 990) setPort(v === 'implicit' ? 990 : 21)
            }}
            data={[{ value: 'explicit', label: 'Explicit (AUTH TLS)' }, { value: 'implicit', label: 'Implicit TLS' }]}
          />
        </Group>
        <TextInput
          label={`Password (${initial?.secrets.password ? 'set; empty keeps it' : 'not set'})`}
          description="Goes to the OS keychain. Not needed for an anonymous login."
          type="password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <Textarea
          label="Client certificate (PEM, only if the server requires one)"
          description="Public; stored with the location. Its private key goes below."
          autosize
          minRows={2}
          maxRows={6}
          styles={{ input: { fontFamily: 'monospace' } }}
          value={clientCert}
          error={err('clientCertPem')}
          onChange={(e) => setClientCert(e.currentTarget.value)}
        />
        {clientCert.trim() ? (
          <Textarea
            label={
              <Group gap={6} component="span">
                TLS key of the client certificate (PEM)
                <Badge size="xs" variant="light" color={initial?.secrets.tls_key ? 'teal' : 'orange'} data-testid="tls-key-state">
                  {initial?.secrets.tls_key ? 'set' : 'not set'}
                </Badge>
              </Group>
            }
            description="Goes to the OS keychain; leave empty to keep the stored key."
            autosize
            minRows={2}
            maxRows={6}
            styles={{ input: { fontFamily: 'monospace' } }}
            value={tlsKey}
            onChange={(e) => setTlsKey(e.currentTarget.value)}
          />
        ) : null}
        <ScratchFolderField value={scratch} error={err('scratchFolder')} onChange={setScratch} />
        <Text size="sm" c="dimmed">
          Certificate: {typeof cfg.certSha256 === 'string' ? <code>{cfg.certSha256}</code> : 'not pinned yet. After saving, check the server identity and accept its fingerprint.'}
        </Text>
        <ConnectionFormFooter enabled={enabled} onEnabled={setEnabled} error={error} fieldErrors={fe} unplaced={unplaced} isNew={!initial} busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  )
}

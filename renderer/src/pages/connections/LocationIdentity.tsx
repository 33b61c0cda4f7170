import { Alert, Badge, Button, Code, Group, Modal, Stack, Text } from '@mantine/core'
import { useState } from 'react'
import type { Connection } from '../../../../shared/api/connections'
import { useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

/**
 * A file location's server identity (SSH host key or TLS certificate): pinned or not, and the
 * accept dialog: the engine connects, shows the fingerprint the server presented, and the operator
 * pins it after comparing it with the one the server's administrator gave them (audited).
 */
export function LocationIdentity({ conn, mayManage }: { conn: Connection; mayManage: boolean }) {
  const cfg = conn.config as Record<string, unknown>
  const pinned = (conn.kind === 'sftp' ? cfg.hostKeySha256 : cfg.certSha256) as string | null | undefined
  const identity = useApiMutation('files.identity', [])
  const trust = useApiMutation('files.trustIdentity', ['connections.list', 'audit.list'])
  const [open, setOpen] = useState(false)
  const secret = conn.kind === 'sftp' ? (cfg.auth === 'password' ? 'password' : 'private_key') : 'password'
  const check = () => {
    identity.reset()
    trust.reset()
    setOpen(true)
    identity.mutate({ connectionId: conn.id })
  }
  const seen = identity.data
  return (
    <Group gap={6}>
      <Badge size="sm" variant="light" color={conn.secrets[secret] ? 'teal' : 'orange'} data-testid="secret-badge">
        {secret === 'private_key' ? 'key' : 'password'} {conn.secrets[secret] ? 'set' : 'not set'}
      </Badge>
      <Badge size="sm" variant="light" color={pinned ? 'teal' : 'orange'} data-testid="identity-badge">
        {conn.kind === 'sftp' ? 'host key' : 'certificate'} {pinned ? 'pinned' : 'not pinned'}
      </Badge>
      {mayManage ? (
        <Button size="compact-xs" variant="subtle" onClick={check} aria-label={`Check identity of ${conn.name}`}>
          Identity
        </Button>
      ) : null}
      <Modal opened={open} onClose={() => setOpen(false)} title={`Server identity: ${conn.name}`} size="lg">
        <Stack>
          {identity.isPending ? <Text size="sm">Connecting to {String(cfg.host)}…</Text> : null}
          <ErrorAlert error={identity.error ?? trust.error} />
          {seen ? (
            <>
              <Text size="sm">{seen.label} presented by the server:</Text>
              <Code block data-testid="presented-fingerprint">
                {seen.fingerprint}
              </Code>
              {seen.pinned ? (
                <Alert color={seen.matches ? 'teal' : 'red'} data-testid="identity-verdict">
                  {seen.matches ? 'This is the pinned identity.' : `It differs from the pinned ${seen.pinned}: connections are refused until you accept the new one.`}
                </Alert>
              ) : (
                <Text size="sm" c="dimmed">
                  Compare it with the fingerprint the server&apos;s administrator gave you before you accept it.
                </Text>
              )}
              {!seen.matches && !trust.isSuccess ? (
                <Group justify="flex-end">
                  <Button onClick={() => trust.mutate({ connectionId: conn.id, fingerprint: seen.fingerprint })} loading={trust.isPending}>
                    Accept this fingerprint
                  </Button>
                </Group>
              ) : null}
              {trust.isSuccess ? (
                <Alert color="teal" data-testid="identity-accepted">
                  Pinned {trust.data.pinned}.
                </Alert>
              ) : null}
            </>
          ) : null}
        </Stack>
      </Modal>
    </Group>
  )
}

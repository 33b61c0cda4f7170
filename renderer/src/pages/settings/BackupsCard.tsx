import { Alert, Button, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconDatabaseExport } from '@tabler/icons-react'
import { ALL_PRACTICES } from '../../../../shared/api/access'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { formatBytes } from '../../components/time'
import { Time } from '../../app/time-format'

/** Backups: take one now, the files kept, the schedule. The backup key never reaches the console. */
export function BackupsCard() {
  const list = useApi('backups.list', {})
  const create = useApiMutation('backups.create', ['backups.list', 'system.status'])
  const mayBackUp = useMayCall('backups.create', ALL_PRACTICES)
  const b = list.data
  return (
    <Card withBorder data-testid="backups-card">
      <Stack>
        <Group justify="space-between">
          <div>
            <Title order={4}>Backups</Title>
            <Text size="sm" c="dimmed">
              Both database files, the secrets and the configuration in one encrypted file, taken while the engine runs.
            </Text>
          </div>
          {mayBackUp ? (
          <Button
            leftSection={<IconDatabaseExport size={16} />}
            loading={create.isPending}
            data-testid="backup-now"
            onClick={() => create.mutate({}, { onSuccess: (r) => notifications.show({ color: 'teal', title: 'Backup written', message: `${r.name} (${formatBytes(r.bytes)})` }) })}
          >
            Back up now
          </Button>
          ) : null}
        </Group>
        <ErrorAlert error={create.error ?? list.error} />
        {b ? (
          <Text size="sm">
            Folder <Code>{b.dir}</Code> · keeps the newest {b.keep} ·{' '}
            {b.schedule ? (
              <>
                schedule <Code>{b.schedule}</Code>, next <Time value={b.nextAt} />
              </>
            ) : (
              'on demand only (set a schedule below)'
            )}
          </Text>
        ) : null}
        <Alert color="blue" variant="light">
          A backup is restored with its backup key, which stays in this machine&apos;s keychain. Export it once as the recovery key and keep it elsewhere:{' '}
          <Code>npm run serve -- --export-backup-key FILE</Code>; restore into an empty folder with <Code>--restore BACKUP --backup-key-file FILE</Code>.
        </Alert>
        <Table fz="sm" data-testid="backups-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>File</Table.Th>
              <Table.Th>Taken</Table.Th>
              <Table.Th>Size</Table.Th>
              <Table.Th>Audit entries</Table.Th>
              <Table.Th>Key id</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(b?.items ?? []).map((x) => (
              <Table.Tr key={x.name} data-testid="backup-row">
                <Table.Td>
                  <Code>{x.name}</Code>
                </Table.Td>
                <Table.Td><Time value={x.createdAt} /></Table.Td>
                <Table.Td>{formatBytes(x.bytes)}</Table.Td>
                <Table.Td>{x.auditHead}</Table.Td>
                <Table.Td>
                  <Code>{x.keyId}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {b && b.items.length === 0 ? <Text c="dimmed" size="sm">No backups yet.</Text> : null}
      </Stack>
    </Card>
  )
}

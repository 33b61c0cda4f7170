import { Badge, Button, Card, Group, Menu, Table, Text, Title, Tooltip } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconChevronDown, IconRefresh } from '@tabler/icons-react'
import type { SyncState } from '../../../../shared/api/athena'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { QuotaUsed, useAthenaUsage } from '../../components/console/athena-quota'
import { Time } from '../../app/time-format'

const LABEL: Record<SyncState['stream'], string> = { reference: 'Reference data', patients: 'Patients', appointments: 'Appointments', clinical: 'Clinical' }
const COLOR: Record<SyncState['status'], string> = { idle: 'gray', running: 'blue', done: 'teal', error: 'red' }

/** Sync runs of the practice's athenaNet connection: start them, see where each stands. */
export function AthenaSyncCard({ practiceId }: { practiceId: string }) {
  const status = useApi('athena.syncStatus', { practiceId }, { refetchInterval: (q) => (q.state.data?.running ? 1000 : 10_000) })
  const usage = useAthenaUsage(practiceId)
  const sync = useApiMutation('athena.sync', ['athena.syncStatus', 'athena.usage'])
  const maySync = useMayCall('athena.sync', practiceId)
  const start = (what: SyncState['stream'], mode: 'full' | 'incremental' | 'replay') =>
    sync.mutate(
      { practiceId, what, mode },
      { onSuccess: () => notifications.show({ color: 'blue', title: 'Sync started', message: `${LABEL[what]} (${mode})` }) },
    )
  const u = usage.data
  return (
    <Card withBorder mt="md" data-testid="athena-sync">
      <Group justify="space-between" mb="xs">
        <Title order={5}>athenaNet sync</Title>
        {u ? (
          <Group gap="xs">
            <Text size="xs" c="dimmed" data-testid="sync-usage">
              {u.today.calls} calls today · <QuotaUsed usage={u} size="xs" /> · {u.qps ?? '—'} req/s
            </Text>
            <Badge color={u.circuit.state === 'closed' ? 'teal' : u.circuit.state === 'open' ? 'red' : 'yellow'} variant="light">
              circuit {u.circuit.state.replace('_', '-')}
            </Badge>
          </Group>
        ) : null}
      </Group>
      <ErrorAlert error={sync.error ?? status.error} />
      <Table fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Stream</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th ta="right">Records</Table.Th>
            <Table.Th ta="right">Already had</Table.Th>
            <Table.Th ta="right">Calls</Table.Th>
            <Table.Th>Last success</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(status.data?.streams ?? []).map((s) => (
            <Table.Tr key={s.stream} data-testid={`sync-${s.stream}`}>
              <Table.Td>{LABEL[s.stream]}</Table.Td>
              <Table.Td>
                <Tooltip label={s.errorMessage ?? (s.mode ? `${s.mode} run` : 'never run')} multiline maw={380} disabled={!s.errorMessage && !s.mode}>
                  <Badge color={COLOR[s.status]} variant="light" data-testid={`sync-status-${s.stream}`}>
                    {s.status}
                  </Badge>
                </Tooltip>
              </Table.Td>
              <Table.Td ta="right">{s.records}</Table.Td>
              <Table.Td ta="right">{s.duplicates}</Table.Td>
              <Table.Td ta="right">{s.calls}</Table.Td>
              <Table.Td><Time value={s.lastSuccessAt} /></Table.Td>
              <Table.Td>
                <Group justify="flex-end">
                  {!maySync ? null : s.stream === 'patients' || s.stream === 'appointments' ? (
                    <Menu position="bottom-end">
                      <Menu.Target>
                        <Button size="xs" variant="light" rightSection={<IconChevronDown size={14} />} disabled={s.status === 'running'} aria-label={`Sync ${s.stream}`}>
                          Sync
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => start(s.stream, 'incremental')}>Changes since last sync (feed)</Menu.Item>
                        <Menu.Item onClick={() => start(s.stream, 'full')}>Full sync{s.status === 'error' && s.cursor ? ' (resume)' : ''}</Menu.Item>
                        <Menu.Item onClick={() => start(s.stream, 'replay')}>Replay the feed window</Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  ) : (
                    <Button size="xs" variant="light" leftSection={<IconRefresh size={14} />} disabled={s.status === 'running'} onClick={() => start(s.stream, 'full')} aria-label={`Sync ${s.stream}`}>
                      Sync
                    </Button>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  )
}

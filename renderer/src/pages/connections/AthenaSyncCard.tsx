import { Badge, Button, Card, Group, Menu, Progress, Stack, Table, Text, Title, Tooltip } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconChevronDown, IconRefresh } from '@tabler/icons-react'
import type { SyncEstimate, SyncState } from '../../../../shared/api/athena'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { QuotaUsed, useAthenaUsage } from '../../components/console/athena-quota'
import { Time } from '../../app/time-format'
import { progressWords } from './sync-progress'

const LABEL: Record<SyncState['stream'], string> = { reference: 'Reference data', patients: 'Patients', appointments: 'Appointments', clinical: 'Clinical' }
const COLOR: Record<SyncState['status'], string> = { idle: 'gray', running: 'blue', done: 'teal', error: 'red' }

/** A running stream's records against its expected total, a bar and the time left (when honest). */
function SyncProgress({ stream, p }: { stream: SyncState['stream']; p: SyncEstimate }) {
  const w = progressWords(p)
  return (
    <Stack gap={4} miw={220} data-testid={`sync-progress-${stream}`}>
      {w.percent !== null ? <Progress value={w.percent} size="sm" aria-label={`${LABEL[stream]} sync progress`} data-testid={`sync-bar-${stream}`} /> : null}
      <Tooltip label={w.basis} disabled={!w.basis} multiline maw={320}>
        <Text size="xs" data-testid={`sync-count-${stream}`}>
          {w.count}
          {w.eta ? (
            <Text span size="xs" c="dimmed" data-testid={`sync-eta-${stream}`}>
              {' · '}
              {w.eta}
            </Text>
          ) : null}
        </Text>
      </Tooltip>
    </Stack>
  )
}

/** Sync runs of the practice's athenaNet connection: start them, see where each stands. */
export function AthenaSyncCard({ practiceId }: { practiceId: string }) {
  const status = useApi('athena.syncStatus', { practiceId }, { refetchInterval: (q) => (q.state.data?.running ? 1000 : 10_000) })
  // While a run is live its rows move every second; the calls-today header keeps the same pace.
  const usage = useAthenaUsage(practiceId, status.data?.running ? 1000 : 5000)
  const sync = useApiMutation('athena.sync', ['athena.syncStatus', 'athena.usage'])
  const maySync = useMayCall('athena.sync', practiceId)
  const start = (what: SyncState['stream'], mode: 'full' | 'incremental' | 'replay') =>
    sync.mutate(
      { practiceId, what, mode },
      { onSuccess: () => notifications.show({ color: 'blue', title: 'Sync started', message: `${LABEL[what]} (${mode})` }) },
    )
  const u = usage.data
  const overall = status.data?.progress ?? null
  return (
    <Card withBorder mt="md" data-testid="athena-sync">
      <Group justify="space-between" mb="xs">
        <Group gap="sm">
          <Title order={5}>athenaNet sync</Title>
          {overall && (status.data?.streams ?? []).filter((s) => s.progress).length > 1 ? (
            <Text size="xs" c="dimmed" data-testid="sync-overall">
              all running: {progressWords(overall).count}
              {progressWords(overall).eta ? ` · ${progressWords(overall).eta}` : ''}
            </Text>
          ) : null}
        </Group>
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
            <Table.Th>Progress</Table.Th>
            <Table.Th ta="right">Records</Table.Th>
            <Table.Th ta="right">Already had</Table.Th>
            <Table.Th ta="right">Pages</Table.Th>
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
              <Table.Td>{s.status === 'running' && s.progress ? <SyncProgress stream={s.stream} p={s.progress} /> : null}</Table.Td>
              <Table.Td ta="right">{s.records}</Table.Td>
              <Table.Td ta="right">{s.duplicates}</Table.Td>
              <Table.Td ta="right">{s.pages}</Table.Td>
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

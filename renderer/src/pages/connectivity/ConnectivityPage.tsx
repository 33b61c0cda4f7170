import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core'
import { IconPlayerPlay, IconPlugConnected } from '@tabler/icons-react'
import { useState } from 'react'
import type { ConnectivityResult } from '../../../../shared/api/connections'
import { useApi, useApiMutation } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'

/**
 * Runs the connectivity test of every configured connection of the practice (REST token and ping,
 * HL7 listener bound and peers, outbound destination reachable, SFTP) and shows each step.
 */
export function ConnectivityPage() {
  const { practiceId, practice } = usePractice()
  const conns = useApi('connections.list', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const status = useApi('system.status', {}, { refetchInterval: 15_000 })
  const testAll = useApiMutation('connections.testAll', ['audit.list', 'connections.lastTests'])
  const testOne = useApiMutation('connections.test', ['audit.list', 'connections.lastTests'])
  // The last result of each connection, wherever it was run (this page, Connections, the API).
  const last = useApi('connections.lastTests', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const results: Record<string, ConnectivityResult> = Object.fromEntries((last.data ?? []).map((r) => [r.connectionId, r]))
  const [running, setRunning] = useState<string | null>(null)
  const listeners = (status.data?.listeners ?? []).filter((l) => l.practiceId === practiceId)

  const runAll = () => {
    if (!practiceId) return
    setRunning('*')
    testAll.mutate(
      { practiceId },
      {
        onSettled: () => setRunning(null),
      },
    )
  }
  const runOne = (id: string) => {
    setRunning(id)
    testOne.mutate({ id }, { onSettled: () => setRunning(null) })
  }

  return (
    <>
      <PageHeader
        title="Connectivity"
        description={`Test every connection of ${practice?.name ?? 'this practice'}: each step with its result and time.`}
        actions={
          <>
            <Button leftSection={<IconPlayerPlay size={16} />} onClick={runAll} loading={running === '*'} disabled={!conns.data?.length}>
              Test all connections
            </Button>
          </>
        }
      />
      <ErrorAlert error={conns.error ?? testAll.error ?? testOne.error} />
      {conns.data && conns.data.length === 0 ? (
        <Alert color="gray" icon={<IconPlugConnected size={18} />} data-testid="no-connections">
          This practice has no connections yet. Add them on the Connections page.
        </Alert>
      ) : null}
      {listeners.length ? (
        <Card withBorder mb="md">
          <Title order={5} mb="xs">
            Listeners
          </Title>
          <Table fz="sm" data-testid="listeners">
            <Table.Tbody>
              {listeners.map((l) => (
                <Table.Tr key={`${l.kind}/${l.name}`}>
                  <Table.Td>
                    {l.kind} {l.name}
                  </Table.Td>
                  <Table.Td>
                    {l.host}:{l.port}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={l.state === 'listening' ? 'teal' : l.state === 'error' ? 'red' : 'gray'}>{l.state}</Badge>
                  </Table.Td>
                  <Table.Td>{l.connections} peer(s) connected</Table.Td>
                  <Table.Td>{l.error}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ) : null}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {(conns.data ?? []).map((c) => {
          const r = results[c.id]
          return (
            <Card withBorder key={c.id} data-testid={`connection-${c.name}`}>
              <Group justify="space-between" mb="xs">
                <Stack gap={0}>
                  <Group gap="xs">
                    <Title order={5}>{c.name}</Title>
                    <Badge variant="light">{c.kind}</Badge>
                    {!c.enabled ? <Badge color="gray">disabled</Badge> : null}
                  </Group>
                  {r ? (
                    <Text size="xs" c="dimmed">
                      tested <Time value={r.at} />
                    </Text>
                  ) : null}
                </Stack>
                <Group gap="xs">
                  {r ? (
                    <Badge color={r.ok ? 'teal' : 'red'} size="lg" data-testid="connection-result">
                      {r.ok ? 'OK' : 'failed'}
                    </Badge>
                  ) : null}
                  <Button size="xs" variant="light" loading={running === c.id} disabled={running !== null || !c.enabled} onClick={() => runOne(c.id)} aria-label={`Test ${c.name}`}>
                    Test
                  </Button>
                </Group>
              </Group>
              {r ? (
                <Table fz="sm">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Step</Table.Th>
                      <Table.Th>Result</Table.Th>
                      <Table.Th ta="right">Time</Table.Th>
                      <Table.Th>Detail</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {r.steps.map((s, i) => (
                      <Table.Tr key={i}>
                        <Table.Td>{s.step}</Table.Td>
                        <Table.Td>
                          <Badge size="sm" color={s.ok ? 'teal' : 'red'} variant="light">
                            {s.ok ? 'ok' : 'failed'}
                          </Badge>
                        </Table.Td>
                        <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                          {Math.round(s.durationMs)} ms
                        </Table.Td>
                        <Table.Td>{s.error ? `${s.error.message} (${s.error.code}${s.error.retryable ? ', transient' : ''})` : (s.detail ?? '')}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              ) : (
                <Text size="sm" c="dimmed">
                  Not tested in this session.
                </Text>
              )}
            </Card>
          )
        })}
      </SimpleGrid>
    </>
  )
}

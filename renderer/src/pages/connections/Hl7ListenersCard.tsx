import { Alert, Anchor, Badge, Card, Code, Group, Stack, Switch, Table, Text, Title, Tooltip } from '@mantine/core'
import { Link } from 'wouter'
import type { Hl7ListenerDetails } from '../../../../shared/api/hl7'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time, useTimeFormat } from '../../app/time-format'

const STATE_COLOR: Record<Hl7ListenerDetails['state'], string> = { listening: 'teal', stopped: 'gray', error: 'red' }

/** Counters that mean something went wrong on the wire, with the words an operator reads. */
const TROUBLE: [key: string, label: string][] = [
  ['rejected', 'refused (AE/AR)'],
  ['storeFailures', 'not stored (retryable NAK)'],
  ['oversizedFrames', 'oversized frames'],
  ['incompleteFrames', 'connections closed mid-frame'],
  ['idleTimeouts', 'idle timeouts'],
  ['connectionsRefused', 'connections refused'],
  ['tlsFailures', 'TLS failures'],
  ['discardedBytes', 'bytes outside frames'],
  ['frameTimeouts', 'too slow to finish a frame'],
  ['refusedPerPeerCap', 'refused: too many from one address'],
  ['refusedReserved', 'refused: slots kept for known senders'],
  ['refusedInputBudget', 'refused: too much refused input'],
  ['refusedNotStored', 'refused input not stored (over the cap)'],
  ['backPressurePauses', 'reading paused (memory budget)'],
]

function count(l: Hl7ListenerDetails, key: string): number {
  const v = l.counters[key]
  return typeof v === 'number' ? v : 0
}

/**
 * Inbound MLLP listeners of the practice as they run now: where they listen, who is connected and
 * what each listener has received since it started, so "is the lab's feed reaching us?" is one look.
 */
export function Hl7ListenersCard({ practiceId }: { practiceId: string }) {
  const fmt = useTimeFormat()
  const q = useApi('hl7.listeners', { practiceId }, { refetchInterval: 2000 })
  const { practice } = usePractice()
  const update = useApiMutation('practices.update', ['practices.list', 'audit.list'])
  const paused = practice?.settings.hl7ProcessingPaused === true
  const mayPause = useMayCall('practices.update', practiceId)
  const rows = q.data ?? []
  return (
    <Card withBorder mt="md" data-testid="hl7-listeners">
      <Group justify="space-between" mb="xs">
        <Title order={5}>HL7 listeners</Title>
        {mayPause ? (
          <Switch
            label="Process received messages"
            checked={!paused}
            disabled={!practice || update.isPending}
            onChange={(e) => update.mutate({ id: practiceId, settings: { hl7ProcessingPaused: !e.currentTarget.checked } })}
            data-testid="hl7-processing-switch"
          />
        ) : null}
      </Group>
      {paused ? (
        <Alert color="orange" mb="xs" data-testid="hl7-processing-paused" title="Processing paused">
          Messages are still received, stored and acknowledged on commit; they wait here, in order, and are processed when this is switched back on. Interfaces that acknowledge after processing do not answer meanwhile.
        </Alert>
      ) : null}
      <ErrorAlert error={q.error ?? update.error} />
      {q.data && rows.length === 0 ? (
        <Alert color="gray" data-testid="no-listeners">
          No inbound HL7 interface is running for this practice. Enabled HL7 inbound connections start listening when saved.
        </Alert>
      ) : null}
      {rows.length ? (
        <Table fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Interface</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Peers</Table.Th>
              <Table.Th ta="right">Received</Table.Th>
              <Table.Th ta="right">Accepted</Table.Th>
              <Table.Th ta="right">Duplicates</Table.Th>
              <Table.Th>Problems</Table.Th>
              <Table.Th>Last message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((l) => {
              const trouble = TROUBLE.filter(([k]) => count(l, k) > 0)
              return (
                <Table.Tr key={l.connectionId} data-testid={`listener-${l.name}`}>
                  <Table.Td>
                    <Text fw={500} size="sm">
                      {l.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      ACK on {l.ackMode === 'commit' ? 'commit' : 'processing'}
                      {l.tls ? ' · TLS' : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code data-testid="listener-address">{`${l.host}:${l.port}`}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={l.error ?? `since ${fmt.format(l.startedAt)}`} multiline maw={380}>
                      <Badge color={STATE_COLOR[l.state]} variant="light" data-testid="listener-state">
                        {l.state}
                      </Badge>
                    </Tooltip>
                    {l.error ? (
                      <Text size="xs" c="red" maw={260} data-testid="listener-error">
                        {l.error}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td data-testid="listener-peers">
                    {l.peers.length ? (
                      <Stack gap={0}>
                        {l.peers.map((p) => (
                          <Text key={p.peer} size="xs">
                            {p.peer} · {p.frames} {p.frames === 1 ? 'frame' : 'frames'}
                          </Text>
                        ))}
                      </Stack>
                    ) : (
                      <Text size="xs" c="dimmed">
                        none connected
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="listener-received">
                    {count(l, 'received')}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="listener-accepted">
                    {count(l, 'accepted')}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="listener-duplicates">
                    {count(l, 'duplicates') > 0 ? (
                      <Anchor component={Link} href={`/transactions?connector=hl7&channel=${encodeURIComponent(l.name)}`} aria-label={`${count(l, 'duplicates')} duplicates on ${l.name}: open its transactions (a duplicate is answered with its original)`}>
                        {count(l, 'duplicates')}
                      </Anchor>
                    ) : (
                      0
                    )}
                  </Table.Td>
                  <Table.Td data-testid="listener-problems">
                    {trouble.length ? (
                      <Group gap={4}>
                        {trouble.map(([k, label]) =>
                          k === 'rejected' ? (
                            <Badge key={k} size="sm" color="orange" variant="light" component={Link} href={`/transactions?connector=hl7&channel=${encodeURIComponent(l.name)}&status=error`} style={{ cursor: 'pointer' }} data-testid="listener-refused">
                              {count(l, k)} {label}
                            </Badge>
                          ) : (
                            <Badge key={k} size="sm" color="orange" variant="light">
                              {count(l, k)} {label}
                            </Badge>
                          ),
                        )}
                      </Group>
                    ) : (
                      <Text size="xs" c="dimmed">
                        none
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs"><Time value={typeof l.counters.lastReceivedAt === 'number' ? l.counters.lastReceivedAt : null} /></Text>
                  </Table.Td>
                </Table.Tr>
              )
            })}
          </Table.Tbody>
        </Table>
      ) : null}
    </Card>
  )
}

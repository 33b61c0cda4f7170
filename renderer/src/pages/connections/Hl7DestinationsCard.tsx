import { Alert, Badge, Button, Card, Code, Group, Menu, Stack, Table, Text, Title } from '@mantine/core'
import { IconChevronDown, IconSend } from '@tabler/icons-react'
import { useState } from 'react'
import type { Hl7DestinationDetails, Hl7SendTestResult } from '../../../../shared/api/hl7'
import type { InputOf } from '../../../../shared/api'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'

type TestType = NonNullable<InputOf<'hl7.sendTest'>['messageType']>
const TEST_TYPES: [TestType, string][] = [
  ['NMD^N02', 'NMD^N02 (network check, changes nothing)'],
  ['SIU^S12', 'SIU^S12 (test appointment, MSH-11 = T)'],
  ['ADT^A08', 'ADT^A08 (test patient update, MSH-11 = T)'],
]

/**
 * The sender connects when it has something to send, so "not connected" only matters while
 * messages wait. A disabled destination is paused: its queue waits, in order, until it is enabled.
 */
function destinationState(d: Hl7DestinationDetails): 'paused' | 'connected' | 'idle' | 'not connected' {
  if (!d.enabled) return 'paused'
  if (d.connected) return 'connected'
  return d.pending > 0 ? 'not connected' : 'idle'
}
const STATE_COLOR = { paused: 'orange', connected: 'teal', idle: 'gray', 'not connected': 'yellow' } as const

function TestOutcome({ name, type, r }: { name: string; type: string; r: Hl7SendTestResult }) {
  const ack = r.ack
  return (
    <Card withBorder mt="sm" data-testid={`send-test-${name}`}>
      <Group gap="xs" mb={4}>
        <Text fw={600}>
          Test {type} to {name}
        </Text>
        <Badge color={r.ok ? 'teal' : 'red'} data-testid="send-test-verdict">
          {r.ok ? 'round trip ok' : 'failed'}
        </Badge>
        <Text size="xs" c="dimmed">
          control id <Code>{r.controlId}</Code> · {Math.round(r.durationMs)} ms
        </Text>
      </Group>
      {ack ? (
        <Stack gap={2} data-testid="send-test-ack">
          <Text size="sm">
            ACK <Code>{ack.code}</Code> for <Code>{ack.controlId}</Code>
            {ack.text ? ` · ${ack.text}` : ''}
          </Text>
          {ack.errors.map((e, i) => (
            <Text size="xs" key={i} c="dimmed">
              ERR {[e.location, e.code, e.codeText, e.userMessage].filter(Boolean).join(' · ')}
            </Text>
          ))}
        </Stack>
      ) : null}
      {r.error ? (
        <Text size="sm" c="red" data-testid="send-test-error">
          {r.error.code}: {r.error.message}
          {r.error.retryable ? ' (retryable)' : ''}
        </Text>
      ) : null}
    </Card>
  )
}

/**
 * Outbound MLLP destinations of the practice: connected or not, how many messages wait in each
 * queue, and a test message sent on demand outside the queue, with the peer's ACK shown as it came.
 */
export function Hl7DestinationsCard({ practiceId }: { practiceId: string }) {
  const q = useApi('hl7.destinations', { practiceId }, { refetchInterval: 2000 })
  const send = useApiMutation('hl7.sendTest', ['audit.list'])
  const maySend = useMayCall('hl7.sendTest', practiceId)
  const [last, setLast] = useState<{ name: string; type: TestType; result: Hl7SendTestResult } | null>(null)
  const [sending, setSending] = useState<string | null>(null)
  const rows = q.data ?? []
  const sendTest = (id: string, name: string, type: TestType) => {
    setSending(id)
    setLast(null)
    send.mutate({ id, messageType: type }, { onSuccess: (result) => setLast({ name, type, result }), onSettled: () => setSending(null) })
  }
  return (
    <Card withBorder mt="md" data-testid="hl7-destinations">
      <Title order={5} mb="xs">
        HL7 destinations
      </Title>
      <ErrorAlert error={q.error ?? send.error} />
      {q.data && rows.length === 0 ? (
        <Alert color="gray" data-testid="no-destinations">
          No outbound HL7 destination for this practice.
        </Alert>
      ) : null}
      {rows.length ? (
        <Table fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Destination</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Connection</Table.Th>
              <Table.Th ta="right">Waiting to send</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((d) => (
              <Table.Tr key={d.connectionId} data-testid={`destination-${d.name}`}>
                <Table.Td>
                  <Text fw={500} size="sm">
                    {d.name}
                  </Text>
                  {d.tls ? (
                    <Text size="xs" c="dimmed">
                      TLS
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Code>{`${d.host}:${d.port}`}</Code>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={STATE_COLOR[destinationState(d)]} data-testid="destination-state">
                    {destinationState(d)}
                  </Badge>
                </Table.Td>
                <Table.Td ta="right" data-testid="destination-pending">
                  {d.pending}
                </Table.Td>
                <Table.Td>
                  <Group justify="flex-end">
                    {maySend ? (
                    <Menu position="bottom-end">
                      <Menu.Target>
                        <Button size="xs" variant="light" leftSection={<IconSend size={14} />} rightSection={<IconChevronDown size={14} />} loading={sending === d.connectionId} disabled={sending !== null} aria-label={`Send a test message to ${d.name}`}>
                          Send test
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        {TEST_TYPES.map(([type, label]) => (
                          <Menu.Item key={type} onClick={() => sendTest(d.connectionId, d.name, type)}>
                            {label}
                          </Menu.Item>
                        ))}
                      </Menu.Dropdown>
                    </Menu>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {last ? <TestOutcome name={last.name} type={last.type} r={last.result} /> : null}
    </Card>
  )
}

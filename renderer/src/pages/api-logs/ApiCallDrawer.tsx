import { Badge, Code, Drawer, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core'
import { useApi } from '../../api/client'
import { Time } from '../../app/time-format'
import { ErrorAlert } from '../../components/ErrorAlert'

/** Long values (ids, paths, bodies) wrap inside the drawer instead of widening it. */
const WRAP = { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' } as const

function Headers({ label, headers }: { label: string; headers: Record<string, string> }) {
  const entries = Object.entries(headers)
  return (
    <Stack gap={4}>
      <Title order={4}>{label}</Title>
      {entries.length === 0 ? (
        <Text size="sm" c="dimmed">
          None (no response).
        </Text>
      ) : (
        <Table fz="xs" layout="fixed" withRowBorders={false} data-testid={`${label.toLowerCase().replace(/ /g, '-')}`}>
          <Table.Tbody>
            {entries.map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td w="30%" ff="monospace" style={WRAP}>
                  {k}
                </Table.Td>
                <Table.Td ff="monospace" style={WRAP}>
                  {v}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}

function Body({ label, text }: { label: string; text: string | null }) {
  return (
    <Stack gap={4}>
      <Title order={4}>{label}</Title>
      {text === null ? (
        <Text size="sm" c="dimmed">
          No body.
        </Text>
      ) : (
        <Code block style={WRAP} data-testid={`${label.toLowerCase().replace(/ /g, '-')}`}>
          {text}
        </Code>
      )}
    </Stack>
  )
}

/**
 * One athenaNet call opened from the API log: what was sent and what came back, as the engine
 * stored it (PHI values and credentials already redacted there; opening it is audited).
 */
export function ApiCallDrawer({ call, onClose }: { call: { practiceId: string; id: number } | null; onClose: () => void }) {
  const q = useApi('athena.apiLog.get', { practiceId: call?.practiceId ?? '', id: call?.id ?? 1 }, { enabled: call !== null, staleTime: Infinity })
  const c = q.data
  return (
    <Drawer opened={call !== null} onClose={onClose} position="right" size="min(900px, 70vw)" title={c ? `${c.method} ${c.endpoint}` : 'athenaNet call'} closeButtonProps={{ 'aria-label': 'Close call' }}>
      <ErrorAlert error={q.error} />
      {q.isLoading ? <Loader size="sm" /> : null}
      {c ? (
        <Stack gap="md" data-testid="api-call-drawer">
          <SimpleGrid cols={2} spacing="xs">
            <Text size="sm">
              <Time value={c.at} />
            </Text>
            <Group gap="xs">
              <Badge variant="light" color={c.outcome === 'ok' ? 'teal' : 'red'}>
                {c.status ?? c.outcome}
              </Badge>
              <Text size="sm">
                {c.latencyMs.toFixed(0)} ms, attempt {c.attempt}
              </Text>
            </Group>
            <Text size="sm" ff="monospace" style={WRAP}>
              {c.path}
            </Text>
            <Text size="sm" ff="monospace" style={WRAP}>
              request id {c.requestId}
            </Text>
          </SimpleGrid>
          {c.errorMessage ? (
            <Text size="sm" c="red">
              {c.errorMessage}
              {c.errorCode ? ` (${c.errorCode})` : ''}
            </Text>
          ) : null}
          {c.detail ? (
            <>
              <Text size="xs" c="dimmed">
                Names, dates of birth, phones, e-mail, SSN, zip and addresses are shown as * (as in the logged path); the access token and any credential are never kept.
              </Text>
              <Headers label="Request headers" headers={c.detail.requestHeaders} />
              <Body label="Request body" text={c.detail.requestBody} />
              <Headers label="Response headers" headers={c.detail.responseHeaders} />
              <Body label="Response body" text={c.detail.responseBody} />
            </>
          ) : (
            <Text size="sm" c="dimmed" data-testid="api-call-no-detail">
              No headers or bodies were kept for this call (a token request, whose answer is a credential, or a call logged before they were kept).
            </Text>
          )}
        </Stack>
      ) : null}
    </Drawer>
  )
}

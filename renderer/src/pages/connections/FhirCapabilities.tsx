import { Badge, Button, Group, ScrollArea, Stack, Table, Text, TextInput } from '@mantine/core'
import { IconRefresh } from '@tabler/icons-react'
import { useState } from 'react'
import { useApi, useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time } from '../../app/time-format'

const WRITES = new Set(['create', 'update', 'patch', 'delete'])

/**
 * The server's CapabilityStatement as the connectivity test kept it: per resource type, the
 * interactions (writes stand out: the engine refuses a write the server does not allow) and the
 * search parameters, with the combinations a search must use.
 */
export function FhirCapabilities({ practiceId, connectionId }: { practiceId: string; connectionId: string }) {
  const caps = useApi('fhir.capabilities', { practiceId, connectionId }, { retry: false })
  const refresh = useApiMutation('fhir.capabilities', ['fhir.capabilities'])
  const [filter, setFilter] = useState('')
  const s = caps.data
  const rows = (s?.resources ?? []).filter((r) => r.type.toLowerCase().includes(filter.trim().toLowerCase()))
  return (
    <Stack gap="xs" mt="sm" data-testid="fhir-capabilities">
      <Group justify="space-between">
        <Text fw={600} size="sm">
          Server capabilities
          {s ? (
            <Text span size="xs" c="dimmed" fw={400} ml="xs" data-testid="capability-summary">
              FHIR {s.fhirVersion ?? '?'} · {s.id ?? 'CapabilityStatement'} · {s.resources.length} resource types · formats {s.formats.join(', ') || '—'} · read <Time value={s.fetchedAt} />
            </Text>
          ) : null}
        </Text>
        <Group gap="xs">
          <TextInput size="xs" placeholder="Filter resource types" aria-label="Filter resource types" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} />
          <Button size="xs" variant="subtle" leftSection={<IconRefresh size={14} />} loading={refresh.isPending} onClick={() => refresh.mutate({ practiceId, connectionId, refresh: true })}>
            Read again
          </Button>
        </Group>
      </Group>
      <ErrorAlert error={refresh.error ?? caps.error} />
      {s && s.instantiates.length ? (
        <Text size="xs" c="dimmed">
          Conforms to: {s.instantiates.join(', ')}
        </Text>
      ) : null}
      {s ? (
        <ScrollArea.Autosize mah={420} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Server capabilities by resource type' }}>
          <Table fz="sm" striped stickyHeader data-testid="capability-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Resource</Table.Th>
                <Table.Th>Interactions</Table.Th>
                <Table.Th>Search parameters</Table.Th>
                <Table.Th>A search needs one of</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.type} data-testid={`cap-${r.type}`}>
                  <Table.Td fw={500}>{r.type}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {r.interactions.map((i) => (
                        <Badge key={i} size="xs" variant="light" color={WRITES.has(i) ? 'orange' : 'blue'} tt="none">
                          {i}
                        </Badge>
                      ))}
                      {!r.interactions.some((i) => WRITES.has(i)) ? (
                        <Text span size="xs" c="dimmed">
                          read-only
                        </Text>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td ff="monospace" fz="xs">
                    {r.searchParams.join(', ') || '—'}
                  </Table.Td>
                  <Table.Td ff="monospace" fz="xs">
                    {r.requiredCombos.length ? r.requiredCombos.map((c) => c.join(' + ')).join(' | ') : '—'}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      ) : null}
    </Stack>
  )
}

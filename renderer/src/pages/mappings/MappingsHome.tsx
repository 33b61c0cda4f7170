import { Alert, Anchor, Badge, Group, Stack, Table, Tabs, Text, Title } from '@mantine/core'
import { IconAlertTriangle, IconTransform } from '@tabler/icons-react'
import { Link } from 'wouter'
import type { MappingSetSummary } from '../../../../shared/api/mappings'
import { MAPPING_FORMATS } from '../../../../shared/mapping'
import { useApi } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { FORMAT_LABELS } from './bits'
import { UnmappedCodes } from './UnmappedCodes'

export function MappingsHome() {
  const { practiceId, practice } = usePractice()
  const sets = useApi('mappings.sets', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId) })
  const open = (sets.data ?? []).reduce((n, s) => n + s.openMisses, 0)
  return (
    <>
      <PageHeader
        title="Mappings"
        description={
          <>
            How {practice?.name ?? 'this practice'} translates athenaNet, HL7 v2, FHIR and CSV data to Practice Studio records and back. Shipped defaults
            apply until the practice overrides a row; drafts are saved as you type and go live only when published.
          </>
        }
      />
      <ErrorAlert error={sets.error} />
      <Tabs defaultValue="sets" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="sets" leftSection={<IconTransform size={16} />}>
            Mapping sets
          </Tabs.Tab>
          <Tabs.Tab value="misses" leftSection={<IconAlertTriangle size={16} />} rightSection={open ? <Badge size="xs" color="orange">{open}</Badge> : null}>
            Unmapped codes
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="sets">
          <Stack gap="lg">
            {MAPPING_FORMATS.map((f) => {
              const list = (sets.data ?? []).filter((s) => s.format === f)
              if (list.length === 0) return null
              return (
                <div key={f}>
                  <Title order={4} mb="xs">
                    {FORMAT_LABELS[f]} ⇄ Practice Studio
                  </Title>
                  <SetTable sets={list} />
                </div>
              )
            })}
            {sets.data && !sets.data.some((s) => s.format === 'hl7') ? (
              <Alert color="gray">No HL7 v2 mapping sets are registered in this build yet: they arrive with the HL7 connector.</Alert>
            ) : null}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="misses">{practiceId ? <UnmappedCodes practiceId={practiceId} /> : null}</Tabs.Panel>
      </Tabs>
    </>
  )
}

function SetTable({ sets }: { sets: MappingSetSummary[] }) {
  return (
    <Table striped highlightOnHover layout="fixed" data-testid="mapping-sets-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th w="34%">Set</Table.Th>
          <Table.Th w="16%">Direction</Table.Th>
          <Table.Th w="9%">Record</Table.Th>
          <Table.Th w="13%">Live</Table.Th>
          <Table.Th w="12%">Practice changes</Table.Th>
          <Table.Th w="9%">Draft</Table.Th>
          <Table.Th w="7%">Unmapped codes</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {sets.map((s) => (
          <Table.Tr key={s.key} data-testid={`set-row-${s.key}`}>
            <Table.Td>
              <Anchor component={Link} href={`/${encodeURIComponent(s.key)}`} fw={500}>
                {s.name}
              </Anchor>
              <Text size="xs" c="dimmed" ff="monospace">
                {s.key}
              </Text>
            </Table.Td>
            <Table.Td>{s.direction === 'inbound' ? `inbound: ${FORMAT_LABELS[s.format]} → record` : `outbound: record → ${FORMAT_LABELS[s.format]}`}</Table.Td>
            <Table.Td>{s.record}</Table.Td>
            <Table.Td>
              {s.liveVersion === null ? (
                <Text size="sm" c="dimmed">
                  shipped default
                </Text>
              ) : (
                <Stack gap={0}>
                  <Badge variant="light">version {s.liveVersion}</Badge>
                  <Text size="xs" c="dimmed">
                    <Time value={s.liveAt} />
                  </Text>
                </Stack>
              )}
            </Table.Td>
            <Table.Td>
              <Group gap={4}>
                {s.changes.overridden ? <Badge size="xs" color="blue" variant="light">{s.changes.overridden} overridden</Badge> : null}
                {s.changes.added ? <Badge size="xs" color="teal" variant="light">{s.changes.added} added</Badge> : null}
                {s.changes.removed ? <Badge size="xs" color="red" variant="light">{s.changes.removed} removed</Badge> : null}
                {!s.changes.overridden && !s.changes.added && !s.changes.removed ? <Text size="sm" c="dimmed">none</Text> : null}
              </Group>
            </Table.Td>
            <Table.Td>{s.draft ? <Badge color="yellow" variant="light" title={`by ${s.draft.updatedBy}`}>draft <Time value={s.draft.updatedAt} /></Badge> : '—'}</Table.Td>
            <Table.Td>{s.openMisses ? <Badge color="orange">{s.openMisses}</Badge> : '—'}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}

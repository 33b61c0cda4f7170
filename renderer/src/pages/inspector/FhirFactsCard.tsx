import { Badge, Card, Group, Table, Text } from '@mantine/core'
import type { InspectorStage } from '../../../../shared/api/inspector'
import { fhirFacts } from './fhir-facts'

/** A FHIR transaction's resource (or notification and the resource it was re-read as) and its validation issues, field by field. */
export function FhirFactsCard({ stages }: { stages: InspectorStage[] }) {
  const f = fhirFacts(stages)
  if (!f) return null
  const errors = f.issues.filter((i) => i.severity === 'error').length
  return (
    <Card withBorder data-testid="fhir-facts">
      <Group gap="xs" mb="xs">
        <Text fw={600}>FHIR {f.kind}</Text>
        {f.topic ? <Badge variant="light">{f.topic}</Badge> : null}
        {f.resourceType ? (
          <Badge variant="outline" color="gray" tt="none" data-testid="fhir-resource">
            {f.resourceType}
            {f.id ? `/${f.id}` : ''}
          </Badge>
        ) : null}
        {f.via ? (
          <Text size="xs" c="dimmed">
            re-read by {f.via}
          </Text>
        ) : null}
        {f.eventId ? (
          <Text size="xs" c="dimmed" ff="monospace">
            event {f.eventId}
          </Text>
        ) : null}
      </Group>
      {f.kind === 'notification' && !f.resourceType ? (
        <Text size="sm" c="dimmed">
          Focus {f.focus ?? '—'}: not re-read yet (the re-read happens when the transaction is processed).
        </Text>
      ) : f.issues.length === 0 ? (
        <Text size="sm" c="teal" data-testid="fhir-valid">
          Valid against R4 and the US Core must-support checks.
        </Text>
      ) : (
        <>
          <Text size="sm" mb={4} data-testid="fhir-issue-count">
            {errors} error{errors === 1 ? '' : 's'}, {f.issues.length - errors} warning{f.issues.length - errors === 1 ? '' : 's'} (validation; the connection decides whether errors stop the resource)
          </Text>
          <Table fz="sm" data-testid="fhir-issues">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Severity</Table.Th>
                <Table.Th>Problem</Table.Th>
                <Table.Th>Rule</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {f.issues.map((i, n) => (
                <Table.Tr key={n}>
                  <Table.Td ff="monospace">{i.path || '(resource)'}</Table.Td>
                  <Table.Td>
                    <Badge size="xs" variant="light" color={i.severity === 'error' ? 'red' : 'yellow'}>
                      {i.severity}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{i.message}</Table.Td>
                  <Table.Td>{i.source === 'us-core' ? 'US Core' : i.source === 'r4' ? 'FHIR R4' : i.source}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Card>
  )
}

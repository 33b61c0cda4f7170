import { Badge, Table, Text } from '@mantine/core'
import type { ConnectivityResult } from '../../../../shared/api/connections'
import { Time } from '../../app/time-format'

/** A connectivity test, step by step: result, time, and the detail or the error as data. */
export function ConnectivitySteps({ result }: { result: ConnectivityResult }) {
  return (
    <>
      <Text size="xs" c="dimmed" mb={4}>
        Tested <Time value={result.at} /> —{' '}
        <Text span fw={600} c={result.ok ? 'teal' : 'red'} data-testid="test-verdict">
          {result.ok ? 'all steps passed' : 'failed'}
        </Text>
      </Text>
      <Table fz="sm" data-testid={`test-steps-${result.name}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Step</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th ta="right">Time</Table.Th>
            <Table.Th>Detail</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {result.steps.map((s) => (
            <Table.Tr key={s.step} data-testid={`step-${s.step}`}>
              <Table.Td>{s.step}</Table.Td>
              <Table.Td>
                <Badge size="sm" variant="light" color={s.ok ? 'teal' : 'red'}>
                  {s.ok ? 'ok' : 'failed'}
                </Badge>
              </Table.Td>
              <Table.Td ta="right">{s.durationMs < 10 ? s.durationMs.toFixed(1) : Math.round(s.durationMs)} ms</Table.Td>
              <Table.Td>
                {s.error ? (
                  <Text size="sm" c="red">
                    {s.error.message} ({s.error.code}
                    {s.error.retryable ? ', transient' : ''})
                  </Text>
                ) : (
                  (s.detail ?? '')
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  )
}

import { Badge, Button, Table, Text } from '@mantine/core'
import { IconEye } from '@tabler/icons-react'
import { useState } from 'react'
import { api } from '../../api/client'
import type { RevealGate } from '../../components/console/reveal-gate'
import { ErrorAlert } from '../../components/ErrorAlert'
import { diffPayload, type PayloadChange } from './payload-diff'

const COLOR = { added: 'teal', removed: 'red', changed: 'blue' } as const

export function ChangesTable({ changes }: { changes: PayloadChange[] }) {
  if (changes.length === 0) return <Text size="sm" c="dimmed">No change to the original.</Text>
  return (
    <Table fz="sm" data-testid="payload-diff" withTableBorder>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Where</Table.Th>
          <Table.Th>Change</Table.Th>
          <Table.Th>Original</Table.Th>
          <Table.Th>Edited</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {changes.map((c) => (
          <Table.Tr key={c.path} data-path={c.path}>
            <Table.Td ff="monospace">{c.path}</Table.Td>
            <Table.Td>
              <Badge size="xs" variant="light" color={COLOR[c.change]}>
                {c.change}
              </Badge>
            </Table.Td>
            <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
              {c.before ?? '—'}
            </Table.Td>
            <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
              {c.after ?? '—'}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}

/** The edited payload against the original, field by field; both hold PHI, so they are revealed (audited) on request. */
export function PayloadChanges({ txId, gate }: { txId: number; gate: RevealGate }) {
  const [changes, setChanges] = useState<PayloadChange[] | null>(null)
  const [error, setError] = useState<Error | null>(null)
  const load = () =>
    gate.gate('the original and the edited message', (reason) => {
      const r = reason ? { reason } : {}
      Promise.all([api('inspector.reveal', { id: txId, stage: 'raw', path: '*', ...r }), api('inspector.reveal', { id: txId, stage: 'current', path: '*', ...r })])
        .then(([a, b]) => setChanges(diffPayload(a.text ?? '', b.text ?? '')))
        .catch((e: Error) => setError(e))
    })
  return (
    <>
      <ErrorAlert error={error} />
      {changes === null ? (
        <Button variant="light" color="orange" leftSection={<IconEye size={16} />} onClick={load}>
          Compare with the original (reveals both; audited)
        </Button>
      ) : (
        <>
          <ChangesTable changes={changes} />
          <Button mt="xs" size="xs" variant="default" onClick={() => setChanges(null)}>
            Hide
          </Button>
        </>
      )}
    </>
  )
}

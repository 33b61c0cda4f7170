import { Alert, Autocomplete, Badge, Button, Group, Modal, Stack, Switch, Table, Text, TextInput } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconCheck, IconPlus, IconRefresh } from '@tabler/icons-react'
import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { MissRow } from '../../../../shared/api/mappings'
import type { CodeMapEntry } from '../../../../shared/mapping'
import { getTransport, useApi, useApiMutation } from '../../api/client'
import { useAuth } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time } from '../../app/time-format'

const missId = (m: Pick<MissRow, 'setKey' | 'mapName' | 'value'>): string => `${m.setKey}:${m.mapName}:${m.value}`

interface Added {
  row: MissRow
  to: string
  version: number
  failed: number[]
}

/**
 * The unmapped-codes worklist: every code-map miss seen at run time, counted per set, map and
 * code. "Add entry" maps the code and publishes; the transactions that failed on it can then be
 * reprocessed in one go.
 */
export function UnmappedCodes({
  practiceId,
  setKey,
  onEntryAdded,
}: {
  practiceId: string
  setKey?: string
  /** The editor adds the same entry to the override it holds, so its next save keeps it. */
  onEntryAdded?: (setKey: string, map: string, entry: CodeMapEntry) => void
}) {
  const qc = useQueryClient()
  const [includeResolved, setIncludeResolved] = useState(false)
  const misses = useApi('mappings.misses', { practiceId, includeResolved })
  const [adding, setAdding] = useState<MissRow | null>(null)
  const [added, setAdded] = useState<Added | null>(null)
  const reprocess = useApiMutation('mappings.reprocessMisses', ['mappings.misses', 'transactions.list'])
  const dismiss = useApiMutation('mappings.dismissMiss', ['mappings.misses', 'mappings.sets'])
  const { can } = useAuth()
  const may = { edit: can('mapping.edit', practiceId), reprocess: can('msg.reprocess', practiceId) }

  // New misses and reprocessing outcomes arrive as transaction events: keep the counts live.
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | null = null
    const off = getTransport().subscribe((name) => {
      if (name !== 'transactions.changed' && name !== 'audit.appended') return
      if (t) clearTimeout(t)
      t = setTimeout(() => void qc.invalidateQueries({ queryKey: ['mappings.misses'] }), 300)
    })
    return () => {
      if (t) clearTimeout(t)
      off()
    }
  }, [qc])

  const rows = (misses.data ?? []).filter((m) => !setKey || m.setKey === setKey)
  const runReprocess = (m: Pick<MissRow, 'setKey' | 'mapName' | 'value'>) =>
    reprocess.mutate(
      { practiceId, key: m.setKey, map: m.mapName, value: m.value },
      {
        onSuccess: (r) => {
          notifications.show({ color: 'teal', title: 'Reprocessing', message: `${r.queued.length} transaction(s) queued${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}` })
          if (added && missId(added.row) === missId(m)) setAdded({ ...added, failed: [] })
        },
      },
    )

  return (
    <Stack data-testid="unmapped-codes">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Codes a code map did not know when real messages were mapped, most frequent first. A default may have filled the field, or the transaction
          failed: either way, map the code once here.
        </Text>
        <Switch label="Show resolved" checked={includeResolved} onChange={(e) => setIncludeResolved(e.currentTarget.checked)} />
      </Group>
      <ErrorAlert error={misses.error ?? reprocess.error ?? dismiss.error} />
      {added ? (
        <Alert color="teal" icon={<IconCheck size={18} />} title={`Mapped '${added.row.value}' → '${added.to}' in ${added.row.mapName} (version ${added.version}, live now)`} withCloseButton onClose={() => setAdded(null)} data-testid="miss-added">
          {added.failed.length ? (
            <Group justify="space-between">
              <Text size="sm">
                {added.failed.length} transaction{added.failed.length === 1 ? '' : 's'} failed on this code and {added.failed.length === 1 ? 'is' : 'are'} still in the error queue.
              </Text>
              <Button size="xs" leftSection={<IconRefresh size={14} />} loading={reprocess.isPending} onClick={() => runReprocess(added.row)}>
                Reprocess {added.failed.length} failed transaction{added.failed.length === 1 ? '' : 's'}
              </Button>
            </Group>
          ) : (
            <Text size="sm">No failed transactions are waiting on this code.</Text>
          )}
        </Alert>
      ) : null}
      {rows.length === 0 && misses.data ? (
        <Alert color="gray" data-testid="no-misses">
          No unmapped codes{setKey ? ' for this set' : ''}. Misses appear here as messages are mapped.
        </Alert>
      ) : null}
      {rows.length ? (
        <Table striped highlightOnHover data-testid="misses-table">
          <Table.Thead>
            <Table.Tr>
              {setKey ? null : <Table.Th>Set</Table.Th>}
              <Table.Th>Code map</Table.Th>
              <Table.Th>Code</Table.Th>
              <Table.Th>Seen</Table.Th>
              <Table.Th>First / last seen</Table.Th>
              <Table.Th>Failed</Table.Th>
              <Table.Th>Example transactions</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((m) => (
              <Table.Tr key={missId(m)} data-testid={`miss-row-${m.mapName}-${m.value}`}>
                {setKey ? null : (
                  <Table.Td>
                    <Text size="sm">{m.setName}</Text>
                    <Text size="xs" c="dimmed" ff="monospace">
                      {m.setKey}
                    </Text>
                  </Table.Td>
                )}
                <Table.Td ff="monospace">{m.mapName}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <Text ff="monospace" fw={600}>
                      {m.value}
                    </Text>
                    {m.resolvedAt ? <Badge size="xs" color="gray">resolved</Badge> : null}
                    {m.mapped && !m.resolvedAt ? <Badge size="xs" color="teal">mapped now</Badge> : null}
                  </Group>
                </Table.Td>
                <Table.Td>{m.count}×</Table.Td>
                <Table.Td>
                  <Text size="xs"><Time value={m.firstSeen} /></Text>
                  <Text size="xs"><Time value={m.lastSeen} /></Text>
                </Table.Td>
                <Table.Td>{m.failedTransactions ? <Badge color="red">{m.failedTransactions}</Badge> : '—'}</Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {m.examples.slice(-5).map((id) => `#${id}`).join(' ')}
                    {m.examples.length > 5 ? ' …' : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    {!m.mapped && may.edit ? (
                      <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setAdding(m)} aria-label={`Add entry for ${m.value} in ${m.mapName}`}>
                        Add entry
                      </Button>
                    ) : null}
                    {m.mapped && m.failedTransactions && may.reprocess ? (
                      <Button size="xs" variant="light" leftSection={<IconRefresh size={14} />} loading={reprocess.isPending} onClick={() => runReprocess(m)}>
                        Reprocess {m.failedTransactions}
                      </Button>
                    ) : null}
                    {!m.resolvedAt && may.edit ? (
                      <Button size="xs" variant="subtle" color="gray" onClick={() => dismiss.mutate({ practiceId, key: m.setKey, map: m.mapName, value: m.value })}>
                        Dismiss
                      </Button>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      <AddEntryModal
        practiceId={practiceId}
        row={adding}
        onClose={() => setAdding(null)}
        onAdded={(a, entry) => {
          setAdding(null)
          setAdded(a)
          onEntryAdded?.(a.row.setKey, a.row.mapName, entry)
        }}
      />
    </Stack>
  )
}

function AddEntryModal({ practiceId, row, onClose, onAdded }: { practiceId: string; row: MissRow | null; onClose(): void; onAdded(a: Added, entry: CodeMapEntry): void }) {
  const [to, setTo] = useState('')
  const [note, setNote] = useState('')
  const add = useApiMutation('mappings.addMissEntry', ['mappings.misses', 'mappings.sets', 'mappings.get', 'mappings.versions'])
  useEffect(() => {
    setTo(row?.suggestion ?? '')
    setNote('')
    add.reset()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [row])
  if (!row) return null
  return (
    <Modal opened onClose={onClose} title={`Map code '${row.value}'`}>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          add.mutate(
            { practiceId, key: row.setKey, map: row.mapName, value: row.value, to: to.trim(), ...(note.trim() ? { note: note.trim() } : {}) },
            { onSuccess: (r) => onAdded({ row, to: to.trim(), version: r.version.version, failed: r.failedTransactions }, { from: row.value, to: to.trim(), ...(note.trim() ? { note: note.trim() } : {}) }) },
          )
        }}
      >
        <Stack>
          <Text size="sm">
            Adds <code>{row.value}</code> to the code map <code>{row.mapName}</code> of {row.setName} and publishes the set, so the next messages map. Work in
            progress in the draft keeps the new entry too.
          </Text>
          <Autocomplete
            label="Maps to"
            data-autofocus
            required
            data={row.choices}
            value={to}
            onChange={setTo}
            description={row.suggestion ? `Suggested: ${row.suggestion}` : row.choices.length ? 'Pick one of the values this field accepts, or type one' : undefined}
            data-testid="miss-to"
          />
          <TextInput label="Note" placeholder="Why this mapping (optional, no patient data)" value={note} onChange={(e) => setNote(e.currentTarget.value)} />
          <ErrorAlert error={add.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={add.isPending} disabled={!to.trim()}>
              Add and publish
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

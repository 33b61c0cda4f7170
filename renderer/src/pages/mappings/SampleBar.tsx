import { ActionIcon, Badge, Button, FileButton, Group, Menu, Modal, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconDatabase, IconEye, IconFileUpload, IconLock, IconTrash } from '@tabler/icons-react'
import { useEffect, useState } from 'react'
import type { SampleKind, SampleRef, SampleTree } from '../../../../shared/api/mappings'
import type { MappingSet } from '../../../../shared/mapping'
import { api, useApi, useApiMutation, type ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Time } from '../../app/time-format'

export function kindForSet(set: Pick<MappingSet, 'format' | 'direction'>): SampleKind {
  if (set.direction === 'outbound') return 'json'
  return set.format === 'hl7' ? 'hl7' : set.format === 'csv' ? 'csv' : 'json'
}

const KIND_LABEL: Record<SampleKind, string> = { hl7: 'HL7', json: 'JSON', csv: 'CSV' }

/** The sample the editor previews against, remembered per practice and set. */
export function useSampleChoice(practiceId: string, key: string): [SampleRef | null, (s: SampleRef | null) => void] {
  const storageKey = `ps-mapping-sample:${practiceId}:${key}`
  const [ref, setRef] = useState<SampleRef | null>(() => {
    try {
      const v = JSON.parse(localStorage.getItem(storageKey) ?? 'null') as SampleRef | null
      return v && typeof v.id === 'number' ? v : null
    } catch {
      return null
    }
  })
  const set = (s: SampleRef | null) => {
    if (s) localStorage.setItem(storageKey, JSON.stringify(s))
    else localStorage.removeItem(storageKey)
    setRef(s)
  }
  return [ref, set]
}

export function SampleBar({
  practiceId,
  set,
  sample,
  onSample,
  tree,
}: {
  practiceId: string
  set: MappingSet
  sample: SampleRef | null
  onSample(s: SampleRef | null): void
  tree: SampleTree | undefined
}) {
  const wanted = kindForSet(set)
  const samples = useApi('mappings.samples.list', { practiceId })
  const sources = useApi('mappings.samples.sources', { practiceId })
  const remove = useApiMutation('mappings.samples.remove', ['mappings.samples.list'])
  const [browse, setBrowse] = useState<string | null>(null)
  const [revealing, setRevealing] = useState(false)
  const [uploadError, setUploadError] = useState<ApiError | null>(null)
  const list = (samples.data ?? []).filter((s) => s.kind === wanted)
  const current = (samples.data ?? []).find((s) => s.id === sample?.id)

  // A remembered sample that no longer exists (deleted, other practice) is forgotten.
  useEffect(() => {
    if (samples.data && sample && !samples.data.some((s) => s.id === sample.id)) onSample(null)
  }, [samples.data, sample, onSample])

  const upload = async (file: File | null) => {
    if (!file) return
    setUploadError(null)
    try {
      const text = await file.text()
      const s = await api('mappings.samples.add', { practiceId, name: file.name, text })
      await samples.refetch()
      if (s.kind !== wanted) notifications.show({ color: 'orange', title: 'Sample saved', message: `${file.name} is ${KIND_LABEL[s.kind]}; this set reads ${KIND_LABEL[wanted]} samples.` })
      else onSample({ id: s.id, row: 0 })
    } catch (e) {
      setUploadError(e as ApiError)
    }
  }

  return (
    <Stack gap="xs" data-testid="sample-bar">
      <Group gap="xs" wrap="wrap" align="flex-end">
        <Select
          label={`Sample (${KIND_LABEL[wanted]})`}
          placeholder={list.length ? 'Choose a sample' : 'Load a sample to preview'}
          data={list.map((s) => ({ value: String(s.id), label: `${s.name}${s.sensitive ? ' (real data)' : ''}` }))}
          value={sample ? String(sample.id) : null}
          onChange={(v) => onSample(v ? { id: Number(v), row: 0 } : null)}
          w={360}
          searchable
          nothingFoundMessage="No samples"
          data-testid="sample-select"
        />
        {tree && tree.rows > 1 ? (
          <Select
            label={`Row (${tree.rows})`}
            data={tree.rowLabels.map((l, i) => ({ value: String(i), label: l }))}
            value={String(sample?.row ?? 0)}
            onChange={(v) => sample && onSample({ id: sample.id, row: Number(v ?? 0) })}
            w={240}
            searchable
            allowDeselect={false}
            data-testid="sample-row"
          />
        ) : null}
        <FileButton onChange={(f) => void upload(f)} accept=".hl7,.txt,.json,.csv,.er7,text/plain,application/json,text/csv" inputProps={{ 'data-testid': 'sample-file-input' } as never}>
          {(props) => (
            <Button variant="default" leftSection={<IconFileUpload size={16} />} {...props}>
              Load file…
            </Button>
          )}
        </FileButton>
        <Menu position="bottom-start">
          <Menu.Target>
            <Button variant="default" leftSection={<IconDatabase size={16} />}>
              From…
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            {(sources.data ?? []).map((s) => (
              <Menu.Item key={s.name} onClick={() => setBrowse(s.name)} leftSection={s.sensitive ? <IconLock size={14} /> : null}>
                {s.label}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
        {current ? (
          <Group gap={4}>
            <Badge variant="light" color={current.sensitive ? 'orange' : 'gray'}>
              {current.origin}
            </Badge>
            {tree?.masked ? (
              <Button size="xs" variant="light" color="orange" leftSection={<IconEye size={14} />} onClick={() => setRevealing(true)}>
                Reveal PHI
              </Button>
            ) : null}
            {tree?.revealedUntil ? (
              <Text size="xs" c="orange">
                revealed until <Time value={tree.revealedUntil} />
              </Text>
            ) : null}
            <Tooltip label="Delete this sample">
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label="Delete sample"
                onClick={() => remove.mutate({ practiceId, id: current.id }, { onSuccess: () => onSample(null) })}
              >
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        ) : null}
      </Group>
      <ErrorAlert error={uploadError ?? remove.error} title="The sample could not be loaded" />
      {tree?.error ? <ErrorAlert error={new Error(tree.error)} title="This sample cannot be read with this set" /> : null}
      <BrowseModal
        practiceId={practiceId}
        setKey={set.key}
        source={browse}
        label={(sources.data ?? []).find((s) => s.name === browse)?.label ?? ''}
        onClose={() => setBrowse(null)}
        onChosen={async (id) => {
          setBrowse(null)
          await samples.refetch()
          onSample({ id, row: 0 })
        }}
      />
      {current ? <RevealModal practiceId={practiceId} sampleId={current.id} opened={revealing} onClose={() => setRevealing(false)} /> : null}
    </Stack>
  )
}

function BrowseModal({
  practiceId,
  setKey,
  source,
  label,
  onClose,
  onChosen,
}: {
  practiceId: string
  setKey: string
  source: string | null
  label: string
  onClose(): void
  onChosen(id: number): void
}) {
  const [q, setQ] = useState('')
  const items = useApi('mappings.samples.browse', { practiceId, source: source ?? '', key: setKey, ...(q.trim() ? { q: q.trim() } : {}) }, { enabled: source !== null })
  const take = useApiMutation('mappings.samples.import', ['mappings.samples.list'])
  return (
    <Modal opened={source !== null} onClose={onClose} title={`Sample from: ${label}`} size="xl">
      <Stack>
        {source === 'transactions' ? (
          <TextInput label="Search" placeholder="MRN, control id, appointment id or text" value={q} onChange={(e) => setQ(e.currentTarget.value)} description="Patient data in a stored transaction stays masked until you reveal it (audited)." />
        ) : null}
        <ErrorAlert error={items.error ?? take.error} />
        <Table highlightOnHover data-testid="sample-source-items">
          <Table.Tbody>
            {(items.data ?? []).map((i) => (
              <Table.Tr key={i.id} style={{ opacity: i.suits ? 1 : 0.55 }}>
                <Table.Td>
                  <Text size="sm" fw={i.suits ? 500 : 400}>
                    {i.label}
                  </Text>
                  {i.detail ? (
                    <Text size="xs" c="dimmed">
                      {i.detail}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Badge variant="outline">{KIND_LABEL[i.kind]}</Badge>
                </Table.Td>
                <Table.Td align="right">
                  <Button size="xs" variant={i.suits ? 'filled' : 'default'} loading={take.isPending && take.variables?.id === i.id} onClick={() => take.mutate({ practiceId, source: source!, id: i.id }, { onSuccess: (s) => onChosen(s.id) })}>
                    Use
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {items.data && items.data.length === 0 ? <Text c="dimmed">Nothing here yet.</Text> : null}
      </Stack>
    </Modal>
  )
}

function RevealModal({ practiceId, sampleId, opened, onClose }: { practiceId: string; sampleId: number; opened: boolean; onClose(): void }) {
  const [reason, setReason] = useState('')
  const reveal = useApiMutation('mappings.samples.reveal', ['mappings.samples.tree', 'mappings.preview'])
  return (
    <Modal opened={opened} onClose={onClose} title="Reveal patient data">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          reveal.mutate({ practiceId, id: sampleId, reason }, { onSuccess: onClose })
        }}
      >
        <Stack>
          <Text size="sm">This sample is a real transaction. Revealing shows its patient data in the studio for 15 minutes and is recorded in the audit trail with your reason.</Text>
          <TextInput label="Reason" required data-autofocus value={reason} onChange={(e) => setReason(e.currentTarget.value)} placeholder="e.g. checking why the race code does not map" />
          <ErrorAlert error={reveal.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color="orange" disabled={reason.trim().length < 3} loading={reveal.isPending}>
              Reveal
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

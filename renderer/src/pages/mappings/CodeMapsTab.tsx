import { ActionIcon, Alert, Badge, Button, FileButton, Grid, Group, NavLink, Paper, SegmentedControl, Select, Stack, Switch, Table, Text, TextInput, Tooltip } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconArrowBackUp, IconDownload, IconPlus, IconTrash, IconUpload } from '@tabler/icons-react'
import { useState } from 'react'
import type { WhereUsed } from '../../../../shared/api/mappings'
import { CODE_MAP_MISS_MODES, type CodeMap, type MappingOverride, type MappingSet } from '../../../../shared/mapping'
import { api, type ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { downloadText } from '../../components/download'
import { ProvenanceBadge } from './bits'
import {
  addCodeMap,
  codeMapViews,
  removeAddedCodeMap,
  removeCodeMapEntry,
  restoreCodeMapEntry,
  setCodeMapEntry,
  setCodeMapSettings,
  type CodeMapView,
} from './override-model'

const MISS_HELP: Record<string, string> = {
  default: 'use the default value',
  error: 'fail the field (the transaction goes to the error queue)',
  passthrough: 'keep the code as it came',
}

export function CodeMapsTab({
  practiceId,
  shipped,
  override,
  onOverride,
  whereUsed,
}: {
  practiceId: string
  shipped: MappingSet
  override: MappingOverride
  onOverride(o: MappingOverride): void
  whereUsed: Record<string, WhereUsed[]>
}) {
  const views = codeMapViews(shipped, override)
  const [selected, setSelected] = useState<string | null>(views[0]?.map.name ?? null)
  const [newName, setNewName] = useState('')
  const view = views.find((v) => v.map.name === selected) ?? views[0]
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 3 }}>
        <Stack gap={4}>
          {views.map((v) => (
            <NavLink
              key={v.map.name}
              active={v.map.name === view?.map.name}
              onClick={() => setSelected(v.map.name)}
              label={<Text ff="monospace" size="sm">{v.map.name}</Text>}
              description={`${v.map.entries.length} codes · on miss: ${v.map.onMiss}`}
              rightSection={v.provenance !== 'inherited' ? <ProvenanceBadge p={v.provenance} /> : null}
              data-testid={`codemap-${v.map.name}`}
            />
          ))}
          {views.length === 0 ? <Text size="sm" c="dimmed">This set has no code maps.</Text> : null}
          <Group gap={4} mt="sm" wrap="nowrap">
            <TextInput size="xs" placeholder="new_map_name" value={newName} onChange={(e) => setNewName(e.currentTarget.value)} aria-label="New code map name" style={{ flex: 1 }} />
            <Button
              size="xs"
              variant="light"
              leftSection={<IconPlus size={14} />}
              disabled={!/^[a-z0-9_.-]{1,100}$/.test(newName) || views.some((v) => v.map.name === newName)}
              onClick={() => {
                onOverride(addCodeMap(shipped, override, newName))
                setSelected(newName)
                setNewName('')
              }}
            >
              Add map
            </Button>
          </Group>
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 9 }}>
        {view ? <CodeMapEditor key={view.map.name} practiceId={practiceId} shipped={shipped} override={override} onOverride={onOverride} view={view} used={whereUsed[view.map.name] ?? []} /> : null}
      </Grid.Col>
    </Grid>
  )
}

function CodeMapEditor({
  practiceId,
  shipped,
  override,
  onOverride,
  view,
  used,
}: {
  practiceId: string
  shipped: MappingSet
  override: MappingOverride
  onOverride(o: MappingOverride): void
  view: CodeMapView
  used: WhereUsed[]
}) {
  const map: CodeMap = view.map
  const [filter, setFilter] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [note, setNote] = useState('')
  const [mode, setMode] = useState<'merge' | 'replace'>('merge')
  const [csvError, setCsvError] = useState<ApiError | null>(null)
  const [csvIssues, setCsvIssues] = useState<{ line: number; message: string }[]>([])
  const f = filter.trim().toLowerCase()
  const entries = view.entries.filter((e) => !f || e.entry.from.toLowerCase().includes(f) || e.entry.to.toLowerCase().includes(f) || (e.entry.note ?? '').toLowerCase().includes(f))
  const key = (s: string) => (map.caseInsensitive ? s.trim().toLowerCase() : s.trim())
  const duplicate = from.trim() !== '' && map.entries.some((e) => key(e.from) === key(from))

  const exportCsv = async () => {
    const r = await api('mappings.codeMapExport', { practiceId, key: shipped.key, override, map: map.name })
    downloadText(r.fileName, r.csv, 'text/csv')
  }
  const importCsv = async (file: File | null) => {
    if (!file) return
    setCsvError(null)
    setCsvIssues([])
    try {
      const r = await api('mappings.codeMapImport', { practiceId, key: shipped.key, override, map: map.name, csv: await file.text(), mode })
      if (!r.ok || !r.override) {
        setCsvIssues(r.issues)
        return
      }
      onOverride(r.override)
      notifications.show({ color: 'teal', title: `${file.name} imported into ${map.name}`, message: `${r.added} added, ${r.changed} changed, ${r.removed} removed (draft)` })
    } catch (e) {
      setCsvError(e as ApiError)
    }
  }

  return (
    <Stack gap="sm" data-testid="codemap-editor">
      <Group justify="space-between">
        <Group gap="xs">
          <Text fw={600} ff="monospace" size="lg">
            {map.name}
          </Text>
          <ProvenanceBadge p={view.provenance} size="sm" />
        </Group>
        <Group gap="xs">
          <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={() => void exportCsv()}>
            Export CSV
          </Button>
          <SegmentedControl size="xs" data={[{ value: 'merge', label: 'merge' }, { value: 'replace', label: 'replace' }]} value={mode} onChange={(v) => setMode(v as 'merge' | 'replace')} aria-label="CSV import mode" />
          <FileButton onChange={(file) => void importCsv(file)} accept=".csv,text/csv,text/plain" inputProps={{ 'data-testid': 'codemap-csv-input' } as never}>
            {(props) => (
              <Button size="xs" variant="default" leftSection={<IconUpload size={14} />} {...props}>
                Import CSV
              </Button>
            )}
          </FileButton>
          {view.provenance === 'added' ? (
            <Button size="xs" variant="subtle" color="red" onClick={() => onOverride(removeAddedCodeMap(override, map.name))}>
              Delete map
            </Button>
          ) : null}
        </Group>
      </Group>
      {map.description ? (
        <Text size="sm" c="dimmed">
          {map.description}
        </Text>
      ) : null}
      <ErrorAlert error={csvError} />
      {csvIssues.length ? (
        <Alert color="red" title="The CSV was not imported" withCloseButton onClose={() => setCsvIssues([])}>
          {csvIssues.slice(0, 20).map((i, n) => (
            <Text key={n} size="sm">
              line {i.line}: {i.message}
            </Text>
          ))}
        </Alert>
      ) : null}
      <Paper withBorder p="xs">
        <Group align="flex-end" gap="md">
          <Select
            size="xs"
            label="When a code is not in the map"
            w={300}
            data={CODE_MAP_MISS_MODES.map((m) => ({ value: m, label: `${m}: ${MISS_HELP[m]}` }))}
            value={map.onMiss}
            allowDeselect={false}
            onChange={(v) => v && onOverride(setCodeMapSettings(shipped, override, map.name, { onMiss: v as CodeMap['onMiss'] }))}
          />
          <TextInput
            size="xs"
            label="Default value"
            w={160}
            value={map.default ?? ''}
            onChange={(e) => onOverride(setCodeMapSettings(shipped, override, map.name, { default: e.currentTarget.value === '' ? null : e.currentTarget.value }))}
            description={map.onMiss === 'default' ? 'used on a miss' : 'used only with onMiss default'}
          />
          <Switch size="xs" label="Ignore case" checked={map.caseInsensitive === true} onChange={(e) => onOverride(setCodeMapSettings(shipped, override, map.name, { caseInsensitive: e.currentTarget.checked }))} />
        </Group>
      </Paper>
      <Paper withBorder p="xs">
        <Text size="sm" fw={500} mb={4}>
          Where used
        </Text>
        {used.length === 0 ? (
          <Text size="sm" c="orange">
            No field uses this map yet (add a code_map transform to a row).
          </Text>
        ) : (
          <Group gap={6}>
            {used.map((u) => (
              <Tooltip key={`${u.setKey}:${u.fieldId}`} label={u.sameSet ? 'in this set' : `${u.setName}: another set, its own map of the same name`}>
                <Badge variant={u.sameSet ? 'light' : 'outline'} color={u.sameSet ? 'blue' : 'gray'} data-testid="where-used">
                  {u.sameSet ? '' : `${u.setKey} · `}
                  {u.fieldId} → {u.target}
                </Badge>
              </Tooltip>
            ))}
          </Group>
        )}
      </Paper>
      <TextInput size="xs" placeholder={`Filter ${map.entries.length} codes`} value={filter} onChange={(e) => setFilter(e.currentTarget.value)} aria-label="Filter codes" />
      <Table striped verticalSpacing={2} data-testid="codemap-entries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Code</Table.Th>
            <Table.Th>Maps to</Table.Th>
            <Table.Th>Note</Table.Th>
            <Table.Th />
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map(({ entry, provenance }) => (
            <Table.Tr key={`${provenance}:${entry.from}`} data-testid={`entry-${entry.from}`} style={{ opacity: provenance === 'removed' ? 0.5 : 1 }}>
              <Table.Td>
                <Text ff="monospace" size="sm" td={provenance === 'removed' ? 'line-through' : undefined}>
                  {entry.from}
                </Text>
              </Table.Td>
              <Table.Td>
                <TextInput
                  size="xs"
                  ff="monospace"
                  aria-label={`${entry.from} maps to`}
                  value={entry.to}
                  disabled={provenance === 'removed'}
                  onChange={(e) => onOverride(setCodeMapEntry(shipped, override, map.name, { ...entry, to: e.currentTarget.value }))}
                />
              </Table.Td>
              <Table.Td>
                <TextInput
                  size="xs"
                  aria-label={`${entry.from} note`}
                  value={entry.note ?? ''}
                  disabled={provenance === 'removed'}
                  onChange={(e) => {
                    const { note: _n, ...rest } = entry
                    onOverride(setCodeMapEntry(shipped, override, map.name, e.currentTarget.value ? { ...rest, note: e.currentTarget.value } : rest))
                  }}
                />
              </Table.Td>
              <Table.Td>
                <ProvenanceBadge p={provenance} />
              </Table.Td>
              <Table.Td>
                {provenance === 'removed' || provenance === 'overridden' ? (
                  <ActionIcon size="sm" variant="subtle" onClick={() => onOverride(restoreCodeMapEntry(shipped, override, map.name, entry.from))} aria-label={`Restore ${entry.from}`}>
                    <IconArrowBackUp size={14} />
                  </ActionIcon>
                ) : null}
                {provenance !== 'removed' ? (
                  <ActionIcon size="sm" variant="subtle" color="red" onClick={() => onOverride(removeCodeMapEntry(shipped, override, map.name, entry.from))} aria-label={`Remove ${entry.from}`}>
                    <IconTrash size={14} />
                  </ActionIcon>
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (!from.trim() || duplicate) return
          onOverride(setCodeMapEntry(shipped, override, map.name, { from: from.trim(), to: to.trim(), ...(note.trim() ? { note: note.trim() } : {}) }))
          setFrom('')
          setTo('')
          setNote('')
        }}
      >
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <TextInput size="xs" label="Code" ff="monospace" value={from} onChange={(e) => setFrom(e.currentTarget.value)} error={duplicate ? 'already in the map' : undefined} />
          <TextInput size="xs" label="Maps to" ff="monospace" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
          <TextInput size="xs" label="Note" value={note} onChange={(e) => setNote(e.currentTarget.value)} style={{ flex: 1 }} />
          <Button size="xs" type="submit" leftSection={<IconPlus size={14} />} disabled={!from.trim() || duplicate}>
            Add code
          </Button>
        </Group>
      </form>
    </Stack>
  )
}

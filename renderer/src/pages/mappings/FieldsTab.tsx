import { ActionIcon, Alert, Autocomplete, Badge, Button, Grid, Group, Paper, ScrollArea, Stack, Switch, Table, Text, Textarea, TextInput, Tooltip } from '@mantine/core'
import { IconAlertTriangle, IconArrowBackUp, IconPlus, IconTrash, IconX } from '@tabler/icons-react'
import { useEffect, useMemo, useState } from 'react'
import type { PreviewField, PreviewResult, SampleTree } from '../../../../shared/api/mappings'
import type { FieldMap, MappingSet, TargetPathInfo } from '../../../../shared/mapping'
import { ProvenanceBadge, showValue, sourceText, ValueText } from './bits'
import type { RowView } from './override-model'
import { SourceTree } from './SourceTree'
import { chainSummary, TransformChainEditor, ValidationsEditor } from './TransformEditor'

export function FieldsTab({
  set,
  rows,
  selected,
  onSelect,
  onChangeField,
  onRemove,
  onRevert,
  onAdd,
  preview,
  previewError,
  tree,
  targetPaths,
}: {
  set: MappingSet
  rows: RowView[]
  selected: string | null
  onSelect(id: string | null): void
  onChangeField(f: FieldMap, previousId: string): void
  onRemove(id: string): void
  onRevert(id: string): void
  onAdd(): void
  preview: PreviewResult | undefined
  previewError: string | null
  tree: SampleTree | undefined
  targetPaths: TargetPathInfo[]
}) {
  const byId = useMemo(() => new Map((preview?.fields ?? []).map((f) => [f.fieldId, f])), [preview])
  const row = rows.find((r) => r.field.id === selected) ?? null
  const used = useMemo(() => {
    const s = new Set<string>()
    const src = row?.field.source
    for (const p of src === undefined ? [] : Array.isArray(src) ? src : [src]) s.add(p)
    return s
  }, [row])
  const codeMaps = set.codeMaps.map((m) => m.name)
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, lg: 3 }}>
        <Paper withBorder p="xs">
          <Text size="sm" fw={600} mb={4}>
            Source
          </Text>
          {tree && tree.tree.length ? (
            <SourceTree
              nodes={tree.tree}
              highlight={used}
              pickFor={row && row.provenance !== 'removed' ? row.field.id : undefined}
              onPick={row && row.provenance !== 'removed' ? (path) => onChangeField({ ...row.field, source: path }, row.field.id) : undefined}
            />
          ) : (
            <Text size="sm" c="dimmed">
              Load a sample to pick source paths from it and see every row's value as you edit.
            </Text>
          )}
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: row ? 5 : 9 }}>
        <Stack gap="xs">
          {previewError ? (
            <Alert color="red" icon={<IconAlertTriangle size={16} />} title="Preview failed" data-testid="preview-error">
              {previewError}
            </Alert>
          ) : null}
          <ScrollArea.Autosize mah="calc(100vh - 300px)">
            <Table highlightOnHover verticalSpacing={4} data-testid="fields-table" stickyHeader>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Target ← source · transforms</Table.Th>
                  <Table.Th>Value</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => {
                  const p = byId.get(r.field.id)
                  return (
                    <Table.Tr
                      key={r.field.id}
                      data-testid={`field-row-${r.field.id}`}
                      onClick={() => onSelect(r.field.id === selected ? null : r.field.id)}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault()
                          onSelect(r.field.id === selected ? null : r.field.id)
                        }
                      }}
                      tabIndex={0}
                      aria-label={`Row ${r.field.id}`}
                      style={{ cursor: 'pointer', opacity: r.provenance === 'removed' ? 0.5 : 1 }}
                      bg={r.field.id === selected ? 'var(--mantine-color-blue-light)' : undefined}
                      aria-selected={r.field.id === selected}
                    >
                      <Table.Td maw={280}>
                        <Text size="sm" ff="monospace" fw={500} td={r.provenance === 'removed' ? 'line-through' : undefined}>
                          {r.field.target}
                          {r.field.required ? <Text span c="red"> *</Text> : null}
                        </Text>
                        <Text size="xs" c="dimmed" lineClamp={2} style={{ wordBreak: 'break-all' }}>
                          <Text span ff="monospace" size="xs">
                            {sourceText(r.field.source)}
                          </Text>{' '}
                          · {chainSummary(r.field.transforms)}
                        </Text>
                      </Table.Td>
                      <Table.Td data-testid={`field-cell-${r.field.id}`} style={{ minWidth: 120 }}>
                        {r.provenance === 'removed' ? <Text size="xs" c="dimmed">switched off</Text> : p ? <RowValue p={p} testId={`field-value-${r.field.id}`} /> : <Text size="xs" c="dimmed">—</Text>}
                      </Table.Td>
                      <Table.Td>
                        <ProvenanceBadge p={r.provenance} />
                      </Table.Td>
                    </Table.Tr>
                  )
                })}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
          <Group>
            <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={onAdd}>
              Add field
            </Button>
            <Text size="xs" c="dimmed">
              {rows.filter((r) => r.provenance !== 'inherited').length} of {rows.length} rows differ from the shipped set.
            </Text>
          </Group>
        </Stack>
      </Grid.Col>
      {row ? (
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <RowEditor
            key={row.field.id}
            row={row}
            result={byId.get(row.field.id)}
            trace={preview?.trace ?? null}
            codeMaps={codeMaps}
            targetPaths={targetPaths}
            set={set}
            onChange={onChangeField}
            onRemove={() => onRemove(row.field.id)}
            onRevert={() => onRevert(row.field.id)}
            onClose={() => onSelect(null)}
          />
        </Grid.Col>
      ) : null}
    </Grid>
  )
}

function RowValue({ p, testId }: { p: PreviewField; testId?: string }) {
  return (
    <Stack gap={0}>
      <ValueText value={p.value} masked={p.masked} error={p.error ? `${p.error.code}: ${p.error.message}` : null} testId={testId} />
      {p.warnings.map((w, i) => (
        <Text key={i} size="xs" c="orange">
          ⚠ {w.code}: {w.message}
        </Text>
      ))}
      {p.codeMisses.map((m, i) => (
        <Text key={`m${i}`} size="xs" c="orange">
          unmapped code '{m.value}' in {m.map} ({m.resolution})
        </Text>
      ))}
    </Stack>
  )
}

function RowEditor({
  row,
  result,
  trace,
  codeMaps,
  targetPaths,
  set,
  onChange,
  onRemove,
  onRevert,
  onClose,
}: {
  row: RowView
  result: PreviewField | undefined
  trace: PreviewResult['trace']
  codeMaps: string[]
  targetPaths: TargetPathInfo[]
  set: MappingSet
  onChange(f: FieldMap, previousId: string): void
  onRemove(): void
  onRevert(): void
  onClose(): void
}) {
  const f = row.field
  const removed = row.provenance === 'removed'
  const [id, setId] = useState(f.id)
  useEffect(() => setId(f.id), [f.id])
  const sources = f.source === undefined ? [] : Array.isArray(f.source) ? f.source : [f.source]
  const sourcesKey = sources.join('\u0000')
  // Inputs keep what is typed (an empty fallback slot, a cleared path); the row gets only real paths.
  const [local, setLocal] = useState<string[]>(sources.length ? sources : [''])
  useEffect(() => {
    setLocal((cur) => (cur.filter((x) => x.trim() !== '').join('\u0000') === sourcesKey ? cur : sourcesKey ? sourcesKey.split('\u0000') : ['']))
  }, [sourcesKey])
  const setSources = (list: string[]) => {
    setLocal(list.length ? list : [''])
    const clean = list.filter((x) => x.trim() !== '')
    const next: FieldMap = { ...f }
    if (clean.length === 0) delete next.source
    else next.source = clean.length === 1 ? clean[0] : clean
    if (clean.join('\u0000') !== sourcesKey) onChange(next, f.id)
  }
  const [target, setTarget] = useState(f.target)
  useEffect(() => setTarget(f.target), [f.target])
  // Inbound rows write record fields; outbound rows read them and write the external format's keys.
  const recordPaths = targetPaths.map((t) => t.path)
  const outbound = set.direction === 'outbound'
  const targetData = outbound ? [...new Set(set.fields.map((x) => x.target))] : recordPaths
  const info = targetPaths.find((t) => t.path === f.target)
  return (
    <Paper withBorder p="sm" data-testid="row-editor">
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs">
            <Text fw={600} ff="monospace">
              {f.id}
            </Text>
            <ProvenanceBadge p={row.provenance} size="sm" />
          </Group>
          <ActionIcon variant="subtle" onClick={onClose} aria-label="Close row editor">
            <IconX size={16} />
          </ActionIcon>
        </Group>
        {removed ? (
          <Alert color="red">
            This shipped row is switched off for this practice.{' '}
            <Button size="xs" variant="light" ml="xs" onClick={onRevert}>
              Restore
            </Button>
          </Alert>
        ) : null}
        {result ? (
          <Paper bg="var(--mantine-color-default-hover)" p="xs">
            <Text size="xs" c="dimmed">
              Value for the selected sample
            </Text>
            <RowValue p={result} />
          </Paper>
        ) : null}
        <fieldset disabled={removed} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack gap="sm">
            {row.provenance === 'added' ? (
              <TextInput
                size="xs"
                label="Row id"
                ff="monospace"
                value={id}
                onChange={(e) => setId(e.currentTarget.value)}
                onBlur={() => /^[A-Za-z0-9_.:-]{1,100}$/.test(id) && id !== f.id && !set.fields.some((x) => x.id === id) && onChange({ ...f, id }, f.id)}
                description="Letters, digits, _ . : - (stable across versions)"
              />
            ) : null}
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Source {local.length > 1 ? '(first non-empty wins)' : ''}
              </Text>
              {local.map((s, i) => (
                <Group key={i} gap={4} wrap="nowrap">
                  <Autocomplete
                    size="xs"
                    styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                    aria-label={`Source path ${i + 1}`}
                    value={s}
                    data={outbound ? recordPaths : []}
                    limit={50}
                    placeholder={outbound ? 'a Practice Studio record field' : 'pick from the sample tree or type a path'}
                    onChange={(v) => setSources(local.map((x, j) => (j === i ? v : x)))}
                    style={{ flex: 1 }}
                  />
                  {local.length > 1 ? (
                    <ActionIcon size="sm" variant="subtle" color="red" onClick={() => setSources(local.filter((_, j) => j !== i))} aria-label={`Remove source ${i + 1}`}>
                      <IconTrash size={14} />
                    </ActionIcon>
                  ) : null}
                </Group>
              ))}
              <Button size="compact-xs" variant="subtle" onClick={() => setLocal([...local, ''])} style={{ alignSelf: 'flex-start' }}>
                + fallback source
              </Button>
            </Stack>
            <Autocomplete
              size="xs"
              label="Target"
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              data={targetData}
              value={target}
              onChange={(v) => {
                setTarget(v)
                if (v.trim() !== '') onChange({ ...f, target: v.trim() }, f.id)
              }}
              error={target.trim() === '' ? 'a target is required' : undefined}
              limit={50}
              description={!outbound && info ? `${info.type}${info.enumValues ? `: ${info.enumValues.join(', ')}` : ''}${info.phi ? ' · PHI' : ''}${info.custom ? ' · custom field' : ''}` : outbound ? `${set.format} output key` : undefined}
            />
            <Switch size="xs" label="Required" checked={f.required === true} onChange={(e) => onChange(e.currentTarget.checked ? { ...f, required: true } : withoutKey(f, 'required'), f.id)} />
            <TransformChainEditor chain={f.transforms} onChange={(c) => onChange({ ...f, transforms: c }, f.id)} codeMaps={codeMaps} trace={trace} />
            <ValidationsEditor list={f.validations ?? []} onChange={(v) => onChange(v.length ? { ...f, validations: v } : withoutKey(f, 'validations'), f.id)} />
            <Textarea size="xs" label="Note" autosize minRows={1} value={f.note ?? ''} onChange={(e) => onChange(e.currentTarget.value ? { ...f, note: e.currentTarget.value } : withoutKey(f, 'note'), f.id)} />
          </Stack>
        </fieldset>
        <Group justify="space-between">
          {row.provenance === 'overridden' ? (
            <Tooltip label={`Shipped: ${sourceText(row.base?.source)} → ${chainSummary(row.base?.transforms ?? [])} → ${row.base?.target}`}>
              <Button size="xs" variant="default" leftSection={<IconArrowBackUp size={14} />} onClick={onRevert}>
                Revert to shipped
              </Button>
            </Tooltip>
          ) : (
            <span />
          )}
          {!removed ? (
            <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} onClick={onRemove}>
              {row.provenance === 'added' ? 'Delete row' : 'Switch off row'}
            </Button>
          ) : null}
        </Group>
        {result && result.sourceValues.length > 1 ? (
          <Text size="xs" c="dimmed">
            Source values: {result.sourceValues.map((v) => showValue(v)).join(' | ')}
          </Text>
        ) : null}
        {row.provenance === 'overridden' ? <Badge variant="dot">differs from shipped</Badge> : null}
      </Stack>
    </Paper>
  )
}

function withoutKey<K extends keyof FieldMap>(f: FieldMap, k: K): FieldMap {
  const next = { ...f }
  delete next[k]
  return next
}

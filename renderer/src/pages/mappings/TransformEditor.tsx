import { ActionIcon, Badge, Box, Code, Collapse, Group, MultiSelect, NumberInput, Paper, Select, Stack, Switch, TagsInput, Text, TextInput, Tooltip } from '@mantine/core'
import { IconArrowDown, IconArrowUp, IconInfoCircle, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import { TRANSFORM_OPS, type Condition, type Transform, type Validation, type ZoneSpec } from '../../../../shared/mapping'
import { TRANSFORM_CATALOG, VALIDATION_CATALOG, type CatalogParam } from '../../../../shared/transforms-catalog'
import type { TraceStep } from '../../../../shared/api/mappings'
import { showValue } from './bits'

type Loose = Record<string, unknown>

const CATEGORY_LABEL: Record<string, string> = { text: 'Text', value: 'Value', date: 'Dates and times', phone: 'Phone', code: 'Codes', logic: 'Logic' }

const OP_OPTIONS = Object.entries(
  TRANSFORM_OPS.reduce<Record<string, { value: string; label: string }[]>>((acc, op) => {
    const c = TRANSFORM_CATALOG[op]
    ;(acc[CATEGORY_LABEL[c.category] ?? c.category] ??= []).push({ value: op, label: c.title })
    return acc
  }, {}),
).map(([group, items]) => ({ group, items }))

export function defaultTransform(op: Transform['op'], codeMaps: string[]): Transform {
  const t = structuredClone(TRANSFORM_CATALOG[op].example.transform)
  if (t.op === 'code_map' && codeMaps[0]) t.map = codeMaps[0]
  return t
}

export function chainSummary(chain: readonly Transform[]): string {
  return chain.length ? chain.map((t) => (t.op === 'code_map' ? `code_map(${t.map})` : t.op)).join(' → ') : 'value as read'
}

/** A chain of transforms, each with its parameters and the catalog's description and worked example. */
export function TransformChainEditor({
  chain,
  onChange,
  codeMaps,
  trace,
  label = 'Transforms',
}: {
  chain: Transform[]
  onChange(c: Transform[]): void
  codeMaps: string[]
  trace?: TraceStep[] | null
  label?: string
}) {
  const set = (i: number, t: Transform) => onChange(chain.map((x, j) => (j === i ? t : x)))
  const move = (i: number, d: -1 | 1) => {
    const next = [...chain]
    const [t] = next.splice(i, 1)
    next.splice(i + d, 0, t as Transform)
    onChange(next)
  }
  const source = trace?.find((s) => s.index === -1)
  return (
    <Stack gap={6} data-testid="transform-chain">
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          {label}
        </Text>
        {source ? (
          <Text size="xs" c="dimmed">
            read from source: <Code>{showValue(source.value)}</Code>
          </Text>
        ) : null}
      </Group>
      {chain.map((t, i) => {
        const step = trace?.find((s) => s.index === i)
        return (
          <Paper key={i} withBorder p="xs" data-testid={`transform-${i}-${t.op}`}>
            <Stack gap={6}>
              <Group gap="xs" wrap="nowrap">
                <Badge size="sm" variant="light" circle>
                  {i + 1}
                </Badge>
                <Select
                  size="xs"
                  aria-label={`Transform ${i + 1}`}
                  data={OP_OPTIONS}
                  value={t.op}
                  onChange={(op) => op && op !== t.op && set(i, defaultTransform(op as Transform['op'], codeMaps))}
                  allowDeselect={false}
                  searchable
                  style={{ flex: 1 }}
                />
                <ActionIcon size="sm" variant="subtle" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move transform ${i + 1} up`}>
                  <IconArrowUp size={14} />
                </ActionIcon>
                <ActionIcon size="sm" variant="subtle" disabled={i === chain.length - 1} onClick={() => move(i, 1)} aria-label={`Move transform ${i + 1} down`}>
                  <IconArrowDown size={14} />
                </ActionIcon>
                <ActionIcon size="sm" variant="subtle" color="red" onClick={() => onChange(chain.filter((_, j) => j !== i))} aria-label={`Remove transform ${i + 1}`}>
                  <IconTrash size={14} />
                </ActionIcon>
              </Group>
              <TransformParams t={t} onChange={(x) => set(i, x)} codeMaps={codeMaps} />
              <CatalogHelp op={t.op} />
              {step ? (
                <Text size="xs" c={step.error ? 'red' : 'dimmed'} data-testid={`trace-${i}`}>
                  → {step.error ? step.error : <Code>{showValue(step.value)}</Code>}
                </Text>
              ) : null}
            </Stack>
          </Paper>
        )
      })}
      <Select
        size="xs"
        placeholder="Add a transform…"
        aria-label="Add a transform"
        data={OP_OPTIONS}
        value={null}
        onChange={(op) => op && onChange([...chain, defaultTransform(op as Transform['op'], codeMaps)])}
        searchable
      />
    </Stack>
  )
}

function CatalogHelp({ op }: { op: Transform['op'] }) {
  const [open, setOpen] = useState(false)
  const c = TRANSFORM_CATALOG[op]
  const ex = c.example
  return (
    <Box>
      <Group gap={4}>
        <Text size="xs" c="dimmed" lineClamp={open ? undefined : 1} style={{ flex: 1 }}>
          {c.description}
        </Text>
        <Tooltip label={open ? 'Hide help' : 'Help and example'}>
          <ActionIcon size="xs" variant="subtle" onClick={() => setOpen(!open)} aria-label={`Help for ${c.title}`}>
            <IconInfoCircle size={12} />
          </ActionIcon>
        </Tooltip>
      </Group>
      <Collapse expanded={open}>
        <Stack gap={2} mt={4}>
          {c.params.map((p) => (
            <Text key={p.name} size="xs">
              <Code>{p.name}</Code>
              {p.required ? '' : ' (optional)'}: {p.description}
            </Text>
          ))}
          <Text size="xs">
            Example: <Code>{JSON.stringify(ex.input)}</Code>
            {ex.source ? (
              <>
                {' '}
                with source <Code>{JSON.stringify(ex.source)}</Code>
              </>
            ) : null}{' '}
            → <Code>{JSON.stringify(ex.output)}</Code>
          </Text>
        </Stack>
      </Collapse>
    </Box>
  )
}

function setParam<T extends Loose>(t: T, name: string, v: unknown): T {
  const next = { ...t } as Loose
  if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete next[name]
  else next[name] = v
  return next as T
}

function TransformParams({ t, onChange, codeMaps }: { t: Transform; onChange(t: Transform): void; codeMaps: string[] }) {
  const params = TRANSFORM_CATALOG[t.op].params
  if (params.length === 0) return null
  return (
    <Stack gap={6} pl={30}>
      {params.map((p) => (
        <ParamInput
          key={p.name}
          param={p}
          value={(t as unknown as Loose)[p.name]}
          onChange={(v) => onChange(setParam(t as unknown as Loose, p.name, v) as unknown as Transform)}
          codeMaps={codeMaps}
          arrayEnum={(t.op === 'date' || t.op === 'datetime_utc') && p.name === 'from'}
          isMap={t.op === 'code_map' && p.name === 'map'}
        />
      ))}
    </Stack>
  )
}

function ParamInput({
  param: p,
  value,
  onChange,
  codeMaps,
  arrayEnum,
  isMap,
}: {
  param: CatalogParam
  value: unknown
  onChange(v: unknown): void
  codeMaps: string[]
  arrayEnum?: boolean
  isMap?: boolean
}) {
  const label = p.name
  const common = { size: 'xs' as const, label, description: undefined, withAsterisk: p.required }
  if (isMap) {
    const data = [...new Set([...codeMaps, ...(typeof value === 'string' && value ? [value] : [])])]
    return <Select {...common} data={data} value={(value as string) ?? null} onChange={(v) => onChange(v ?? undefined)} allowDeselect={false} />
  }
  switch (p.type) {
    case 'enum':
      return arrayEnum ? (
        <MultiSelect {...common} data={[...(p.options ?? [])]} value={(value as string[]) ?? []} onChange={(v) => onChange(v)} placeholder="any format" />
      ) : (
        <Select {...common} data={[...(p.options ?? [])]} value={(value as string) ?? null} onChange={(v) => onChange(v ?? undefined)} clearable={!p.required} allowDeselect={!p.required} />
      )
    case 'number':
      return <NumberInput {...common} value={typeof value === 'number' ? value : ''} onChange={(v) => onChange(typeof v === 'number' ? v : undefined)} />
    case 'boolean':
      return <Switch size="xs" label={label} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked ? true : undefined)} />
    case 'scalar':
      return <ScalarInput label={label} value={value} onChange={onChange} />
    case 'paths':
    case 'string[]':
      return <TagsInput {...common} value={(value as string[]) ?? []} onChange={(v) => onChange(v)} placeholder="type and press Enter" />
    case 'zone':
      return <ZoneInput value={value as ZoneSpec | undefined} onChange={onChange} />
    case 'condition':
      return <ConditionInput value={value as Condition | undefined} onChange={onChange} />
    case 'chain':
      return (
        <Box pl="xs" style={{ borderLeft: '2px solid var(--mantine-color-default-border)' }}>
          <TransformChainEditor label={label === 'then' ? 'Then' : 'Else'} chain={(value as Transform[]) ?? []} onChange={(c) => onChange(p.required ? c : c.length ? c : undefined)} codeMaps={codeMaps} />
        </Box>
      )
    default:
      return <TextInput {...common} ff={p.type === 'path' ? 'monospace' : undefined} value={typeof value === 'string' ? value : value === undefined ? '' : String(value)} onChange={(e) => onChange(e.currentTarget.value === '' && !p.required ? undefined : e.currentTarget.value)} />
  }
}

/** Text, number, true/false or null; the type is chosen explicitly so "15" and 15 stay different. */
function ScalarInput({ label, value, onChange }: { label: string; value: unknown; onChange(v: unknown): void }) {
  const type = value === null ? 'null' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'text'
  return (
    <Group gap="xs" align="flex-end" wrap="nowrap">
      <Select
        size="xs"
        w={100}
        label={`${label} type`}
        data={['text', 'number', 'boolean', 'null']}
        value={type}
        allowDeselect={false}
        onChange={(v) => onChange(v === 'number' ? 0 : v === 'boolean' ? true : v === 'null' ? null : '')}
      />
      {type === 'text' ? <TextInput size="xs" label={label} value={(value as string) ?? ''} onChange={(e) => onChange(e.currentTarget.value)} style={{ flex: 1 }} /> : null}
      {type === 'number' ? <NumberInput size="xs" label={label} value={value as number} onChange={(v) => onChange(typeof v === 'number' ? v : 0)} style={{ flex: 1 }} /> : null}
      {type === 'boolean' ? <Switch size="xs" label={label} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} /> : null}
    </Group>
  )
}

function ZoneInput({ value, onChange }: { value: ZoneSpec | undefined; onChange(v: ZoneSpec): void }) {
  const z = value ?? { from: 'default' }
  return (
    <Group gap="xs" align="flex-end" wrap="nowrap">
      <Select
        size="xs"
        label="zone from"
        w={140}
        data={[
          { value: 'department', label: 'department' },
          { value: 'field', label: 'source field' },
          { value: 'constant', label: 'fixed zone' },
          { value: 'default', label: 'practice zone' },
        ]}
        value={z.from}
        allowDeselect={false}
        onChange={(f) => onChange(f === 'constant' ? { from: 'constant', zone: 'America/New_York' } : f === 'default' ? { from: 'default' } : { from: f as 'department' | 'field', source: 'departmentid' })}
      />
      {z.from === 'constant' ? <TextInput size="xs" label="IANA zone" value={z.zone} onChange={(e) => onChange({ from: 'constant', zone: e.currentTarget.value })} style={{ flex: 1 }} /> : null}
      {z.from === 'department' || z.from === 'field' ? (
        <TextInput size="xs" label={z.from === 'department' ? 'department id path' : 'zone path'} ff="monospace" value={z.source} onChange={(e) => onChange({ from: z.from, source: e.currentTarget.value } as ZoneSpec)} style={{ flex: 1 }} />
      ) : null}
    </Group>
  )
}

function ConditionInput({ value, onChange }: { value: Condition | undefined; onChange(v: Condition): void }) {
  const c: Condition = value ?? { test: 'empty' }
  const base = { ...(c.source ? { source: c.source } : {}), ...(c.negate ? { negate: true } : {}) }
  return (
    <Stack gap={4}>
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <Select
          size="xs"
          label="when"
          w={130}
          data={['equals', 'in', 'empty', 'matches']}
          value={c.test}
          allowDeselect={false}
          onChange={(test) =>
            onChange(test === 'equals' ? { test, value: '', ...base } : test === 'in' ? { test, values: ['Y'], ...base } : test === 'matches' ? { test, pattern: '.+', ...base } : { test: 'empty', ...base })
          }
        />
        <Switch size="xs" mb={6} label="not" checked={c.negate === true} onChange={(e) => onChange({ ...c, negate: e.currentTarget.checked || undefined } as Condition)} />
      </Group>
      <TextInput
        size="xs"
        label="of"
        placeholder="the current value (or a source path)"
        ff="monospace"
        value={c.source ?? ''}
        onChange={(e) => onChange({ ...c, source: e.currentTarget.value || undefined } as Condition)}
      />
      {c.test === 'equals' ? <TextInput size="xs" label="value" value={String(c.value ?? '')} onChange={(e) => onChange({ ...c, value: e.currentTarget.value })} /> : null}
      {c.test === 'in' ? <TagsInput size="xs" label="values" value={c.values.map(String)} onChange={(v) => onChange({ ...c, values: v.length ? v : [''] })} /> : null}
      {c.test === 'matches' ? <TextInput size="xs" label="pattern" ff="monospace" value={c.pattern} onChange={(e) => onChange({ ...c, pattern: e.currentTarget.value })} /> : null}
      {c.test === 'equals' || c.test === 'in' ? (
        <Switch size="xs" label="ignore case" checked={c.caseInsensitive === true} onChange={(e) => onChange({ ...c, caseInsensitive: e.currentTarget.checked || undefined } as Condition)} />
      ) : null}
    </Stack>
  )
}

const VALIDATION_DEFAULTS: Record<Validation['rule'], Validation> = {
  required: { rule: 'required' },
  regex: { rule: 'regex', pattern: '^.+$' },
  one_of: { rule: 'one_of', values: ['A'] },
  max_length: { rule: 'max_length', max: 50 },
  date: { rule: 'date' },
  e164: { rule: 'e164' },
}

export function ValidationsEditor({ list, onChange }: { list: Validation[]; onChange(v: Validation[]): void }) {
  const set = (i: number, v: Validation) => onChange(list.map((x, j) => (j === i ? v : x)))
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        Validations
      </Text>
      {list.map((v, i) => {
        const c = VALIDATION_CATALOG[v.rule]
        return (
          <Paper key={i} withBorder p="xs">
            <Group gap="xs" wrap="nowrap" mb={4}>
              <Text size="sm" fw={500} style={{ flex: 1 }}>
                {c.title}
              </Text>
              <ActionIcon size="sm" variant="subtle" color="red" onClick={() => onChange(list.filter((_, j) => j !== i))} aria-label={`Remove validation ${c.title}`}>
                <IconTrash size={14} />
              </ActionIcon>
            </Group>
            <Text size="xs" c="dimmed" mb={4}>
              {c.description}
            </Text>
            <Stack gap={4}>
              {c.params.map((p) => (
                <ParamInput key={p.name} param={p} value={(v as unknown as Loose)[p.name]} onChange={(x) => set(i, setParam(v as unknown as Loose, p.name, x) as unknown as Validation)} codeMaps={[]} />
              ))}
            </Stack>
          </Paper>
        )
      })}
      <Select
        size="xs"
        placeholder="Add a validation…"
        aria-label="Add a validation"
        data={Object.values(VALIDATION_CATALOG).map((c) => ({ value: c.rule, label: c.title }))}
        value={null}
        onChange={(r) => r && onChange([...list, structuredClone(VALIDATION_DEFAULTS[r as Validation['rule']])])}
      />
    </Stack>
  )
}

import { ActionIcon, Button, Card, Chip, Group, Input, SegmentedControl, Select, Stack, TagsInput, Text, TextInput, Tooltip } from '@mantine/core'
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react'
import type { Hl7FilterRule } from '../../../../shared/config'

type Condition = Hl7FilterRule['conditions'][number]
const OPS: { value: Condition['op']; label: string }[] = [
  { value: 'equals', label: 'equals' },
  { value: 'not_equals', label: 'does not equal' },
  { value: 'in', label: 'is one of' },
  { value: 'empty', label: 'is empty' },
  { value: 'not_empty', label: 'is not empty' },
  { value: 'matches', label: 'matches (regex)' },
]

export const newRule = (n: number): Hl7FilterRule => ({ name: `rule-${n}`, action: 'reject', messageTypes: [], sendingFacilities: [], processingIds: [], conditions: [] })

function ConditionRow({ c, onChange, onRemove, label }: { c: Condition; onChange(c: Condition): void; onRemove(): void; label: string }) {
  const values = c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value]
  return (
    <Group gap="xs" align="flex-end" wrap="nowrap">
      <TextInput label="Field" placeholder="PV1-2" value={c.path} onChange={(e) => onChange({ ...c, path: e.currentTarget.value })} w={140} aria-label={`${label} field`} />
      <Select label="Test" data={OPS} value={c.op} allowDeselect={false} onChange={(v) => onChange({ ...c, op: (v ?? 'equals') as Condition['op'], value: v === 'empty' || v === 'not_empty' ? undefined : c.value })} w={160} aria-label={`${label} test`} />
      {c.op === 'in' ? (
        <TagsInput label="Values" value={values} onChange={(v) => onChange({ ...c, value: v })} style={{ flex: 1 }} aria-label={`${label} values`} />
      ) : c.op === 'empty' || c.op === 'not_empty' ? (
        <div style={{ flex: 1 }} />
      ) : (
        <TextInput label="Value" value={values[0] ?? ''} onChange={(e) => onChange({ ...c, value: e.currentTarget.value })} style={{ flex: 1 }} aria-label={`${label} value`} />
      )}
      <ActionIcon variant="subtle" color="red" onClick={onRemove} aria-label={`Remove ${label}`} mb={4}>
        <IconTrash size={16} />
      </ActionIcon>
    </Group>
  )
}

/**
 * Filter rules as the engine reads them (filters.ts): tried in order, the first whose criteria all
 * hold decides; an accept rule anywhere makes the list a whitelist. Empty criteria match anything.
 */
export function FilterRulesEditor({ rules, onChange, typeOptions }: { rules: Hl7FilterRule[]; onChange(r: Hl7FilterRule[]): void; typeOptions: string[] }) {
  const set = (i: number, r: Hl7FilterRule) => onChange(rules.map((x, k) => (k === i ? r : x)))
  const move = (i: number, d: -1 | 1) => {
    const j = i + d
    if (j < 0 || j >= rules.length) return
    const next = [...rules]
    ;[next[i], next[j]] = [next[j]!, next[i]!]
    onChange(next)
  }
  return (
    <Stack gap="xs" data-testid="filter-rules">
      {rules.length === 0 ? (
        <Text size="sm" c="dimmed">
          No rules: every accepted message type is processed.
        </Text>
      ) : null}
      {rules.map((r, i) => (
        <Card withBorder key={i} padding="sm" data-testid={`filter-rule-${i}`}>
          <Group justify="space-between" mb="xs" wrap="nowrap">
            <Group gap="xs" wrap="nowrap">
              <Text size="sm" c="dimmed" w={20}>
                {i + 1}.
              </Text>
              <TextInput value={r.name} onChange={(e) => set(i, { ...r, name: e.currentTarget.value })} aria-label={`Rule ${i + 1} name`} w={200} />
              <SegmentedControl
                size="xs"
                value={r.action}
                onChange={(v) => set(i, { ...r, action: v as Hl7FilterRule['action'] })}
                data={[
                  { value: 'reject', label: 'Reject (store as filtered)' },
                  { value: 'accept', label: 'Accept' },
                ]}
                aria-label={`Rule ${i + 1} action`}
              />
            </Group>
            <Group gap={2} wrap="nowrap">
              <Tooltip label="Earlier: tried first">
                <ActionIcon variant="subtle" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move rule ${i + 1} up`}>
                  <IconArrowUp size={16} />
                </ActionIcon>
              </Tooltip>
              <ActionIcon variant="subtle" disabled={i === rules.length - 1} onClick={() => move(i, 1)} aria-label={`Move rule ${i + 1} down`}>
                <IconArrowDown size={16} />
              </ActionIcon>
              <ActionIcon variant="subtle" color="red" onClick={() => onChange(rules.filter((_, k) => k !== i))} aria-label={`Remove rule ${i + 1}`}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          </Group>
          <Group grow align="flex-start">
            <TagsInput label="Message types" description="ADT or ADT^A08; empty = any" data={typeOptions} value={r.messageTypes} onChange={(v) => set(i, { ...r, messageTypes: v })} aria-label={`Rule ${i + 1} message types`} />
            <TagsInput label="Sending facilities" description="MSH-4 (first component or whole); empty = any" value={r.sendingFacilities} onChange={(v) => set(i, { ...r, sendingFacilities: v })} aria-label={`Rule ${i + 1} sending facilities`} />
            <Input.Wrapper label="Processing ids" description="MSH-11; none ticked = any">
              <Chip.Group multiple value={r.processingIds} onChange={(v) => set(i, { ...r, processingIds: v as Hl7FilterRule['processingIds'] })}>
                <Group gap={6} mt={6} aria-label={`Rule ${i + 1} processing ids`} role="group">
                  <Chip size="xs" value="P">
                    P production
                  </Chip>
                  <Chip size="xs" value="T">
                    T test
                  </Chip>
                  <Chip size="xs" value="D">
                    D debugging
                  </Chip>
                </Group>
              </Chip.Group>
            </Input.Wrapper>
          </Group>
          <Stack gap={4} mt="xs">
            {r.conditions.map((c, k) => (
              <ConditionRow
                key={k}
                c={c}
                label={`rule ${i + 1} condition ${k + 1}`}
                onChange={(nc) => set(i, { ...r, conditions: r.conditions.map((x, m) => (m === k ? nc : x)) })}
                onRemove={() => set(i, { ...r, conditions: r.conditions.filter((_, m) => m !== k) })}
              />
            ))}
            <Group>
              <Button size="xs" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => set(i, { ...r, conditions: [...r.conditions, { path: '', op: 'equals', value: '' }] })}>
                Add a field condition
              </Button>
            </Group>
          </Stack>
        </Card>
      ))}
      <Group>
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...rules, newRule(rules.length + 1)])}>
          Add a rule
        </Button>
      </Group>
    </Stack>
  )
}

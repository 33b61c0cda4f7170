import { ActionIcon, Button, Group, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core'
import { IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import { CUSTOM_FIELD_TYPES, type CustomField, type MappingOverride, type MappingSet } from '../../../../shared/mapping'
import { ProvenanceBadge } from './bits'
import { customFieldViews, removeCustomField, setCustomField } from './override-model'

/** Practice-specific fields: declared here, written by rows that target `custom.<key>`. */
export function CustomFieldsTab({ shipped, override, onOverride }: { shipped: MappingSet; override: MappingOverride; onOverride(o: MappingOverride): void }) {
  const views = customFieldViews(shipped, override)
  const [key, setKey] = useState('')
  const [label, setLabel] = useState('')
  const [type, setType] = useState<CustomField['type']>('string')
  const valid = /^[a-z][a-z0-9_]{0,62}$/.test(key) && label.trim() !== '' && !views.some((v) => v.field.key === key)
  const update = (f: CustomField) => onOverride(setCustomField(shipped, override, f))
  return (
    <Stack data-testid="custom-fields">
      <Text size="sm" c="dimmed">
        Custom fields hold what the Practice Studio record has no column for (a local patient flag, a referral source). Declare the field here, then point a row&apos;s
        target at <code>custom.&lt;key&gt;</code>. PHI fields are masked in the console like names and birth dates.
      </Text>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Key</Table.Th>
            <Table.Th>Label</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>PHI</Table.Th>
            <Table.Th>Description</Table.Th>
            <Table.Th />
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {views.map(({ field: f, provenance }) => (
            <Table.Tr key={f.key} data-testid={`custom-field-${f.key}`}>
              <Table.Td ff="monospace">custom.{f.key}</Table.Td>
              <Table.Td>
                <TextInput size="xs" aria-label={`${f.key} label`} value={f.label} onChange={(e) => e.currentTarget.value && update({ ...f, label: e.currentTarget.value })} />
              </Table.Td>
              <Table.Td>
                <Select size="xs" aria-label={`${f.key} type`} data={[...CUSTOM_FIELD_TYPES]} value={f.type} allowDeselect={false} onChange={(v) => v && update({ ...f, type: v as CustomField['type'] })} w={110} />
              </Table.Td>
              <Table.Td>
                <Switch size="xs" aria-label={`${f.key} is PHI`} checked={f.phi === true} onChange={(e) => update({ ...f, phi: e.currentTarget.checked })} />
              </Table.Td>
              <Table.Td>
                <TextInput
                  size="xs"
                  aria-label={`${f.key} description`}
                  value={f.description ?? ''}
                  onChange={(e) => {
                    const { description: _d, ...rest } = f
                    update(e.currentTarget.value ? { ...rest, description: e.currentTarget.value } : rest)
                  }}
                />
              </Table.Td>
              <Table.Td>
                <ProvenanceBadge p={provenance} />
              </Table.Td>
              <Table.Td>
                {provenance === 'added' ? (
                  <ActionIcon variant="subtle" color="red" onClick={() => onOverride(removeCustomField(override, f.key))} aria-label={`Remove custom field ${f.key}`}>
                    <IconTrash size={14} />
                  </ActionIcon>
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group align="flex-end" gap="xs">
        <TextInput size="xs" label="Key" ff="monospace" placeholder="referral_source" value={key} onChange={(e) => setKey(e.currentTarget.value)} />
        <TextInput size="xs" label="Label" placeholder="Referral source" value={label} onChange={(e) => setLabel(e.currentTarget.value)} />
        <Select size="xs" label="Type" data={[...CUSTOM_FIELD_TYPES]} value={type} allowDeselect={false} onChange={(v) => v && setType(v as CustomField['type'])} w={110} />
        <Button
          size="xs"
          leftSection={<IconPlus size={14} />}
          disabled={!valid}
          onClick={() => {
            update({ key, label: label.trim(), type })
            setKey('')
            setLabel('')
          }}
        >
          Add custom field
        </Button>
      </Group>
    </Stack>
  )
}

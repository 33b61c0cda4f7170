import { Badge, Code, Drawer, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useState } from 'react'
import { TRANSFORM_OPS } from '../../../../shared/mapping'
import { TRANSFORM_CATALOG, VALIDATION_CATALOG } from '../../../../shared/transforms-catalog'

const CATEGORY: Record<string, string> = { text: 'Text', value: 'Value', date: 'Dates and times', phone: 'Phone', code: 'Codes', logic: 'Logic' }

/** Every transform and validation with what it does, its parameters and a worked example (the examples run in the unit tests). */
export function TransformLibrary({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const [q, setQ] = useState('')
  const f = q.trim().toLowerCase()
  const ops = TRANSFORM_OPS.map((op) => TRANSFORM_CATALOG[op]).filter((c) => !f || `${c.op} ${c.title} ${c.description}`.toLowerCase().includes(f))
  return (
    <Drawer opened={opened} onClose={onClose} title="Transform library" position="right" size="xl">
      <Stack>
        <TextInput placeholder="Search transforms" value={q} onChange={(e) => setQ(e.currentTarget.value)} aria-label="Search transforms" />
        {ops.map((c) => (
          <Stack key={c.op} gap={4} data-testid={`library-${c.op}`}>
            <Group gap="xs">
              <Title order={5}>{c.title}</Title>
              <Code>{c.op}</Code>
              <Badge size="xs" variant="outline">
                {CATEGORY[c.category] ?? c.category}
              </Badge>
            </Group>
            <Text size="sm">{c.description}</Text>
            {c.params.length ? (
              <Table verticalSpacing={2} fz="xs">
                <Table.Tbody>
                  {c.params.map((p) => (
                    <Table.Tr key={p.name}>
                      <Table.Td w={120}>
                        <Code>{p.name}</Code>
                        {p.required ? '' : ' (optional)'}
                      </Table.Td>
                      <Table.Td>
                        {p.description}
                        {p.options ? ` One of: ${p.options.join(', ')}.` : ''}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            ) : null}
            <Text size="xs">
              Example: <Code>{JSON.stringify(c.example.transform)}</Code> on <Code>{JSON.stringify(c.example.input)}</Code>
              {c.example.source ? (
                <>
                  {' '}
                  (source <Code>{JSON.stringify(c.example.source)}</Code>)
                </>
              ) : null}{' '}
              gives <Code>{JSON.stringify(c.example.output)}</Code>
            </Text>
          </Stack>
        ))}
        <Title order={4} mt="md">
          Validations
        </Title>
        {Object.values(VALIDATION_CATALOG).map((v) => (
          <Stack key={v.rule} gap={2}>
            <Group gap="xs">
              <Text fw={600}>{v.title}</Text>
              <Code>{v.rule}</Code>
            </Group>
            <Text size="sm">{v.description}</Text>
          </Stack>
        ))}
      </Stack>
    </Drawer>
  )
}

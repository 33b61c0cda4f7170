import { ActionIcon, Alert, Badge, Button, Code, Collapse, Group, Paper, Stack, Table, Text, TextInput } from '@mantine/core'
import { IconFlask, IconPlayerPlay, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { SampleRef, TestRun } from '../../../../shared/api/mappings'
import type { MappingOverride, MappingSet, MappingTestResult } from '../../../../shared/mapping'
import { api, type ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { showValue } from './bits'
import { addTest, removeTest } from './override-model'

/** Sample input → expected output pairs saved with the set; run them any time, publishing runs them first. */
export function TestsTab({
  practiceId,
  set,
  override,
  onOverride,
  sample,
  run,
  onRun,
}: {
  practiceId: string
  set: MappingSet
  override: MappingOverride
  onOverride(o: MappingOverride): void
  sample: SampleRef | null
  run: TestRun | null
  onRun(r: TestRun): void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)
  const [name, setName] = useState('')
  const practiceTests = new Set((override.tests ?? []).map((t) => t.name))
  const runAll = async () => {
    setBusy(true)
    setError(null)
    try {
      onRun(await api('mappings.runTests', { practiceId, key: set.key, override }))
    } catch (e) {
      setError(e as ApiError)
    } finally {
      setBusy(false)
    }
  }
  const fromSample = async () => {
    if (!sample) return
    setError(null)
    try {
      const t = await api('mappings.testFromSample', { practiceId, key: set.key, override, sample, name: name.trim() })
      onOverride(addTest(override, t))
      setName('')
    } catch (e) {
      setError(e as ApiError)
    }
  }
  const results = new Map((run?.results ?? []).map((r) => [r.name, r]))
  return (
    <Stack data-testid="tests-tab">
      <Group justify="space-between">
        <Group gap="xs">
          <Button leftSection={<IconPlayerPlay size={16} />} loading={busy} onClick={() => void runAll()}>
            Run tests
          </Button>
          {run ? (
            <Badge size="lg" color={run.failed ? 'red' : 'teal'} data-testid="tests-summary">
              {run.passed} passed, {run.failed} failed
            </Badge>
          ) : null}
        </Group>
        <Group gap="xs" align="flex-end">
          <TextInput size="xs" label="New test from the current sample" placeholder="test name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={260} />
          <Button size="xs" variant="light" leftSection={<IconFlask size={14} />} disabled={!sample || !name.trim() || set.tests.some((t) => t.name === name.trim())} onClick={() => void fromSample()}>
            Save as test
          </Button>
        </Group>
      </Group>
      <Text size="xs" c="dimmed">
        A test saved from a sample expects exactly what the set produces now; edit the set, run the tests, and every difference shows field by field. The shipped tests
        also run in <code>npm test</code>.
      </Text>
      <ErrorAlert error={error} />
      <Table data-testid="tests-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Test</Table.Th>
            <Table.Th>From</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {set.tests.map((t) => (
            <TestRow key={t.name} name={t.name} description={t.description} practice={practiceTests.has(t.name)} result={results.get(t.name)} onRemove={() => onOverride(removeTest(override, t.name))} />
          ))}
        </Table.Tbody>
      </Table>
      {set.tests.length === 0 ? <Alert color="gray">No tests yet. Load a sample and save it as a test.</Alert> : null}
    </Stack>
  )
}

function TestRow({ name, description, practice, result, onRemove }: { name: string; description?: string; practice: boolean; result?: MappingTestResult; onRemove(): void }) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <Table.Tr data-testid={`test-${name}`} onClick={() => result && setOpen(!open)} style={{ cursor: result ? 'pointer' : undefined }}>
        <Table.Td>
          <Text size="sm" fw={500}>
            {name}
          </Text>
          {description ? (
            <Text size="xs" c="dimmed">
              {description}
            </Text>
          ) : null}
        </Table.Td>
        <Table.Td>
          <Badge variant="outline" color={practice ? 'teal' : 'gray'}>
            {practice ? 'practice' : 'shipped'}
          </Badge>
        </Table.Td>
        <Table.Td>{result ? <Badge color={result.passed ? 'teal' : 'red'}>{result.passed ? 'pass' : 'fail'}</Badge> : <Text size="xs" c="dimmed">not run</Text>}</Table.Td>
        <Table.Td>
          {practice ? (
            <ActionIcon variant="subtle" color="red" onClick={(e) => {
                e.stopPropagation()
                onRemove()
              }} aria-label={`Remove test ${name}`}>
              <IconTrash size={14} />
            </ActionIcon>
          ) : null}
        </Table.Td>
      </Table.Tr>
      {result ? (
        <Table.Tr>
          <Table.Td colSpan={4} p={0}>
            <Collapse expanded={open || !result.passed}>
              <Paper p="xs" m="xs" withBorder>
                {result.inputError ? <Alert color="red">Input: {result.inputError}</Alert> : null}
                <Table verticalSpacing={2}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Field</Table.Th>
                      <Table.Th>Expected</Table.Th>
                      <Table.Th>Actual</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {result.fields.map((f) => (
                      <Table.Tr key={f.target} bg={f.passed ? undefined : 'var(--mantine-color-red-light)'}>
                        <Table.Td ff="monospace">{f.target}</Table.Td>
                        <Table.Td>
                          <Code>{showValue(f.expected)}</Code>
                        </Table.Td>
                        <Table.Td>
                          <Code>{showValue(f.actual)}</Code>
                        </Table.Td>
                        <Table.Td>{f.passed ? '✓' : '✗'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
                {result.unexpectedErrors.map((e, i) => (
                  <Text key={i} size="xs" c="red">
                    unexpected error on {e.target}: {e.code} ({e.message})
                  </Text>
                ))}
                {result.missingErrors.map((e, i) => (
                  <Text key={`m${i}`} size="xs" c="red">
                    expected error did not happen: {e.target ?? 'any field'} {e.code ?? ''}
                  </Text>
                ))}
              </Paper>
            </Collapse>
          </Table.Td>
        </Table.Tr>
      ) : null}
    </>
  )
}

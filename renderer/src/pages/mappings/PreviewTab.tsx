import { Alert, Badge, Code, Paper, ScrollArea, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import type { PreviewResult, SampleTree } from '../../../../shared/api/mappings'
import { SourceTree } from './SourceTree'

/** Side by side: the sample as read, the record the set builds from it, and what validation says. */
export function PreviewTab({ preview, tree, error }: { preview: PreviewResult | undefined; tree: SampleTree | undefined; error: string | null }) {
  if (!tree) return <Alert color="gray">Load a sample to see the side-by-side preview.</Alert>
  return (
    <SimpleGrid cols={{ base: 1, lg: 3 }} data-testid="side-by-side">
      <Paper withBorder p="sm">
        <Title order={5} mb="xs">
          Source
        </Title>
        {tree.masked ? (
          <Text size="xs" c="orange" mb="xs">
            Patient data is masked.
          </Text>
        ) : null}
        <SourceTree nodes={tree.tree} />
      </Paper>
      <Paper withBorder p="sm">
        <Title order={5} mb="xs">
          Mapped result
        </Title>
        {error ? <Alert color="red">{error}</Alert> : null}
        {preview?.inputError ? <Alert color="red">{preview.inputError}</Alert> : null}
        <ScrollArea.Autosize mah="calc(100vh - 320px)">
          <Code block data-testid="mapped-output">
            {JSON.stringify(preview?.output ?? {}, null, 2)}
          </Code>
        </ScrollArea.Autosize>
      </Paper>
      <Paper withBorder p="sm" data-testid="validation-outcome">
        <Title order={5} mb="xs">
          Validation
        </Title>
        {preview ? (
          <Stack gap="xs">
            <Badge size="lg" color={preview.ok ? 'teal' : 'red'} data-testid="validation-badge">
              {preview.ok ? 'valid record' : `${preview.errors.length} error${preview.errors.length === 1 ? '' : 's'}`}
            </Badge>
            {preview.errors.map((e, i) => (
              <Text key={i} size="sm" c="red">
                <Code>{e.fieldId || e.target}</Code> {e.code}: {e.message}
              </Text>
            ))}
            {preview.warnings.map((w, i) => (
              <Text key={`w${i}`} size="sm" c="orange">
                <Code>{w.fieldId}</Code> {w.code}: {w.message}
              </Text>
            ))}
            {preview.codeMisses.length ? (
              <>
                <Text size="sm" fw={500}>
                  Unmapped codes
                </Text>
                {preview.codeMisses.map((m, i) => (
                  <Text key={`c${i}`} size="sm">
                    <Code>{m.value}</Code> not in <Code>{m.map}</Code> (row {m.fieldId}: {m.resolution})
                  </Text>
                ))}
              </>
            ) : null}
            {preview.effective.lint.map((l, i) => (
              <Text key={`l${i}`} size="xs" c={l.severity === 'error' ? 'red' : 'dimmed'}>
                definition {l.severity}: {l.path} {l.message}
              </Text>
            ))}
          </Stack>
        ) : (
          <Text c="dimmed">…</Text>
        )}
      </Paper>
    </SimpleGrid>
  )
}

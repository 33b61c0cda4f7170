import { Alert, Badge, Button, Card, Code, Group, List, Text, Textarea } from '@mantine/core'
import { IconFlask } from '@tabler/icons-react'
import { useState } from 'react'
import type { Hl7FilterRule } from '../../../../shared/config'
import { useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

const OUTCOME_COLOR = { accepted: 'teal', filtered: 'orange', refused: 'red' } as const

/** Pastes one message and shows what the interface, as edited (not yet saved), would do with it. Nothing is stored. */
export function FilterTryout({ messageTypes, filters, unsupportedTypes = 'ignore' }: { messageTypes: string[]; filters: Hl7FilterRule[]; unsupportedTypes?: 'ignore' | 'reject' }) {
  const [text, setText] = useState('')
  const run = useApiMutation('hl7.tryInterface')
  const r = run.data
  return (
    <Card withBorder padding="sm" data-testid="filter-tryout">
      <Textarea
        label="Try on a message"
        description="Paste an HL7 message; it is checked against the settings above as they are now, and not stored."
        autosize
        minRows={3}
        maxRows={10}
        styles={{ input: { fontFamily: 'monospace' } }}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
      />
      <Group mt="xs">
        <Button size="xs" variant="light" leftSection={<IconFlask size={14} />} disabled={!text.trim()} loading={run.isPending} onClick={() => run.mutate({ messageTypes, filters, unsupportedTypes, message: text })}>
          Try
        </Button>
      </Group>
      {run.error?.code === 'parse_error' ? (
        <Alert color="red" mt="xs" title="The engine cannot read this message" role="alert">
          {run.error.message} ({run.error.code}). The listener would answer it AR and keep it in the error queue.
        </Alert>
      ) : (
        <ErrorAlert error={run.error} />
      )}
      {r && !run.error ? (
        <div data-testid="tryout-result">
          <Group gap="xs" mt="xs">
            <Badge color={OUTCOME_COLOR[r.outcome]} data-testid="tryout-outcome">
              {r.outcome}
            </Badge>
            <Text size="sm">
              <Code>{r.messageType}</Code> control id <Code>{r.controlId}</Code>
              {r.processingId ? (
                <>
                  {' '}
                  processing id <Code>{r.processingId}</Code>
                </>
              ) : null}
            </Text>
          </Group>
          <Text size="sm" mt={4} data-testid="tryout-reason">
            {r.reason}
          </Text>
          {r.rules.length ? (
            <List size="xs" mt={4}>
              {r.rules.map((x, i) => (
                <List.Item key={i}>
                  {i + 1}. {x.name} ({x.action}): {x.matches ? 'criteria hold' : 'does not apply'}
                </List.Item>
              ))}
            </List>
          ) : null}
        </div>
      ) : null}
    </Card>
  )
}

import { Alert, Badge, Button, Group, List, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { TestRun } from '../../../../shared/api/mappings'
import type { MappingOverride } from '../../../../shared/mapping'
import { useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

/** Publishing runs the set's tests first; failures block it unless a reason is given (audited). */
export function PublishModal({
  opened,
  practiceId,
  setKey,
  override,
  onClose,
  onPublished,
}: {
  opened: boolean
  practiceId: string
  setKey: string
  override: MappingOverride
  onClose(): void
  onPublished(version: number, tests: TestRun): void
}) {
  const [comment, setComment] = useState('')
  const [reason, setReason] = useState('')
  const [failed, setFailed] = useState<TestRun | null>(null)
  const publish = useApiMutation('mappings.publish', ['mappings.versions', 'mappings.sets', 'mappings.get', 'mappings.diff'])
  const close = () => {
    setFailed(null)
    setReason('')
    publish.reset()
    onClose()
  }
  const submit = () =>
    publish.mutate(
      { practiceId, key: setKey, comment: comment.trim(), override, ...(failed && reason.trim() ? { acceptFailures: reason.trim() } : {}) },
      {
        onSuccess: (r) => {
          if (!r.published) {
            setFailed(r.tests)
            return
          }
          setComment('')
          setReason('')
          setFailed(null)
          onPublished(r.version!.version, r.tests)
        },
      },
    )
  return (
    <Modal opened={opened} onClose={close} title="Publish a new version">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          submit()
        }}
      >
        <Stack>
          <Text size="sm">The draft becomes the live mapping for this practice as soon as it is published. The set&apos;s tests run first.</Text>
          <Textarea label="Comment" required data-autofocus autosize minRows={2} value={comment} onChange={(e) => setComment(e.currentTarget.value)} placeholder="What changed and why" />
          {failed ? (
            <Alert color="red" title={`${failed.failed} test${failed.failed === 1 ? '' : 's'} failed: nothing was published`} data-testid="publish-test-failures">
              <List size="sm">
                {failed.results
                  .filter((r) => !r.passed)
                  .map((r) => (
                    <List.Item key={r.name}>
                      {r.name}
                      {r.fields
                        .filter((f) => !f.passed)
                        .slice(0, 3)
                        .map((f) => (
                          <Badge key={f.target} size="xs" color="red" variant="light" ml={4}>
                            {f.target}
                          </Badge>
                        ))}
                      {r.unexpectedErrors.length ? ` (${r.unexpectedErrors.length} unexpected error${r.unexpectedErrors.length === 1 ? '' : 's'})` : ''}
                    </List.Item>
                  ))}
              </List>
              <TextInput mt="sm" label="Publish anyway because…" value={reason} onChange={(e) => setReason(e.currentTarget.value)} description="Recorded in the audit trail with the failing tests." />
            </Alert>
          ) : null}
          <ErrorAlert error={publish.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={publish.isPending} disabled={!comment.trim() || (failed !== null && reason.trim().length < 3)} color={failed ? 'orange' : undefined}>
              {failed ? 'Publish anyway' : 'Run tests and publish'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

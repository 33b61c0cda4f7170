import { Alert } from '@mantine/core'
import { IconAlertCircle } from '@tabler/icons-react'
import type { ApiError } from '../api/client'

/** Shows an engine error as the operator should read it: the message, the stable code, and whether retrying can help. */
export function ErrorAlert({ error, title }: { error: ApiError | Error | null | undefined; title?: string }) {
  if (!error) return null
  const code = 'code' in error ? (error as ApiError).code : null
  const retryable = 'retryable' in error ? (error as ApiError).retryable : false
  return (
    <Alert color="red" icon={<IconAlertCircle size={18} />} title={title ?? 'Something went wrong'} data-testid="error-alert">
      {error.message}
      {code ? ` (${code}${retryable ? ', retryable' : ''})` : ''}
    </Alert>
  )
}

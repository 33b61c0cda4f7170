import { Alert } from '@mantine/core'
import { PageHeader } from './PageHeader'

/** Placeholder for a page whose issue is not built yet. Says so plainly instead of showing fake data. */
export function ComingSoon({ title, issue }: { title: string; issue: string }) {
  return (
    <>
      <PageHeader title={title} />
      <Alert color="gray" title="Not built yet">
        This page arrives with {issue}.
      </Alert>
    </>
  )
}

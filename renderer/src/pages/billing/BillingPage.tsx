import { Alert, Tabs } from '@mantine/core'
import { useMayCall } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { PageHeader } from '../../components/PageHeader'
import { ClaimsTab } from './ClaimsTab'
import { ImportTab } from './ImportTab'
import { ReconciliationTab } from './ReconciliationTab'

/** Billing files: 837P / CSV claims out, 835 remittances and bank deposits in, and their reconciliation. */
export function BillingPage() {
  const { practiceId, practice } = usePractice()
  const mayImport = useMayCall('billing.importRemittance', practiceId)
  if (!practiceId) return <PageHeader title="Billing files" />
  return (
    <>
      <PageHeader title="Billing files" description={`Claims, remittances and deposits of ${practice?.name ?? practiceId}`} />
      <Tabs defaultValue="reconciliation" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="reconciliation">Reconciliation</Tabs.Tab>
          <Tabs.Tab value="claims">Claims</Tabs.Tab>
          {mayImport ? <Tabs.Tab value="import">Import 835 / deposits</Tabs.Tab> : null}
        </Tabs.List>
        <Tabs.Panel value="reconciliation">
          <ReconciliationTab practiceId={practiceId} />
        </Tabs.Panel>
        <Tabs.Panel value="claims">
          {practice && !practice.settings.claims ? (
            <Alert color="yellow" mb="md">
              This practice has no claim settings yet (submitter and receiver ids, billing provider NPI and TIN): set them in the configuration file (docs/CONFIG.md, “Claim settings”) or through billing.saveSettings.
            </Alert>
          ) : null}
          <ClaimsTab practiceId={practiceId} />
        </Tabs.Panel>
        {mayImport ? (
          <Tabs.Panel value="import">
            <ImportTab practiceId={practiceId} />
          </Tabs.Panel>
        ) : null}
      </Tabs>
    </>
  )
}

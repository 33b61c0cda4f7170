import { Center, Loader } from '@mantine/core'
import { Suspense } from 'react'
import { Route, Switch } from 'wouter'
import { ComingSoon } from '../components/ComingSoon'
import { NotificationToasts } from '../components/console/NotificationCenter'
import {
  ApiLogsPage,
  AuditPage,
  ConnectionsPage,
  ConnectivityPage,
  DashboardPage,
  EngineLogPage,
  ErrorsPage,
  InspectorPage,
  MappingsRoutes,
  PracticesPage,
  SettingsPage,
  TransactionsPage,
  AccountPage,
  PeoplePage,
  SubscriptionsPage,
  AppointmentBatchesPage,
  BillingPage,
  PatientImportsPage,
} from './lazy-pages'

export function Routes() {
  return (
    <>
      <NotificationToasts />
      <Suspense fallback={<Center p="xl"><Loader size="sm" aria-label="Loading the page" /></Center>}>
      <Switch>
        <Route path="/" component={DashboardPage} />
        <Route path="/transactions" component={TransactionsPage} />
        <Route path="/transactions/:id" component={InspectorPage} />
        <Route path="/errors" component={ErrorsPage} />
        <Route path="/mappings" nest component={MappingsRoutes} />
        <Route path="/connections" component={ConnectionsPage} />
        <Route path="/api-logs" component={ApiLogsPage} />
        <Route path="/engine-log" component={EngineLogPage} />
        <Route path="/connectivity" component={ConnectivityPage} />
        <Route path="/subscriptions" component={SubscriptionsPage} />
        <Route path="/audit" component={AuditPage} />
        <Route path="/practices" component={PracticesPage} />
        <Route path="/settings" component={SettingsPage} />
        <Route path="/people" component={PeoplePage} />
        <Route path="/account" component={AccountPage} />
        <Route path="/appointment-batches" component={AppointmentBatchesPage} />
        <Route path="/billing" component={BillingPage} />
        <Route path="/patient-imports" component={PatientImportsPage} />
        <Route>{() => <ComingSoon title="Not found" issue="no issue: this address does not exist" />}</Route>
      </Switch>
      </Suspense>
    </>
  )
}

import { Route, Switch } from 'wouter'
import { ComingSoon } from '../components/ComingSoon'
import { NotificationToasts } from '../components/console/NotificationCenter'
import { ApiLogsPage } from '../pages/api-logs/ApiLogsPage'
import { AuditPage } from '../pages/audit/AuditPage'
import { ConnectionsPage } from '../pages/connections/ConnectionsPage'
import { ConnectivityPage } from '../pages/connectivity/ConnectivityPage'
import { DashboardPage } from '../pages/dashboard/DashboardPage'
import { EngineLogPage } from '../pages/engine-log/EngineLogPage'
import { ErrorsPage } from '../pages/errors/ErrorsPage'
import { InspectorPage } from '../pages/inspector/InspectorPage'
import { MappingsRoutes } from '../pages/mappings/MappingsRoutes'
import { PracticesPage } from '../pages/practices/PracticesPage'
import { SettingsPage } from '../pages/settings/SettingsPage'
import { TransactionsPage } from '../pages/transactions/TransactionsPage'
import { AccountPage } from '../pages/account/AccountPage'
import { PeoplePage } from '../pages/people/PeoplePage'
import { SubscriptionsPage } from '../pages/subscriptions/SubscriptionsPage'

export function Routes() {
  return (
    <>
      <NotificationToasts />
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
        <Route>{() => <ComingSoon title="Not found" issue="no issue: this address does not exist" />}</Route>
      </Switch>
    </>
  )
}

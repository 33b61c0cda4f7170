import { Route, Switch } from 'wouter'
import { ComingSoon } from '../components/ComingSoon'
import { PracticesPage } from '../pages/practices/PracticesPage'
import { SettingsPage } from '../pages/settings/SettingsPage'

export function Routes() {
  return (
    <Switch>
      <Route path="/">{() => <ComingSoon title="Dashboard" issue="the operator console issue" />}</Route>
      <Route path="/transactions">{() => <ComingSoon title="Transactions" issue="the operator console issue" />}</Route>
      <Route path="/errors">{() => <ComingSoon title="Error queue" issue="the operator console issue" />}</Route>
      <Route path="/mappings">{() => <ComingSoon title="Mappings" issue="the mapping studio issue" />}</Route>
      <Route path="/connections">{() => <ComingSoon title="Connections" issue="the athenaNet issue" />}</Route>
      <Route path="/api-logs">{() => <ComingSoon title="API logs" issue="the operator console issue" />}</Route>
      <Route path="/audit">{() => <ComingSoon title="Audit" issue="the operator console issue" />}</Route>
      <Route path="/practices" component={PracticesPage} />
      <Route path="/settings" component={SettingsPage} />
      <Route>{() => <ComingSoon title="Not found" issue="no issue: this address does not exist" />}</Route>
    </Switch>
  )
}

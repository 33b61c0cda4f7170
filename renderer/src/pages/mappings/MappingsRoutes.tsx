import { Route, Switch } from 'wouter'
import { MappingEditor } from './MappingEditor'
import { MappingsHome } from './MappingsHome'

/** /mappings (sets and the unmapped-codes worklist) and /mappings/<set key> (the editor). */
export function MappingsRoutes() {
  return (
    <Switch>
      <Route path="/">{() => <MappingsHome />}</Route>
      <Route path="/:key">{(params: { key: string }) => <MappingEditor setKey={decodeURIComponent(params.key)} />}</Route>
    </Switch>
  )
}

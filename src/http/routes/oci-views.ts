// The repository views of an app (oci/repository-views.ts), made on first use and kept per app:
// the platforms and the source annotation come from its configuration.
import { RepositoryViews } from '../../oci/repository-views.js'
import type { AppDeps } from '../env.js'

export type { RepositoryView } from '../../oci/repository-views.js'

const perApp = new WeakMap<AppDeps, RepositoryViews>()

export function repositoryViews(deps: AppDeps): RepositoryViews {
  let views = perApp.get(deps)
  if (!views) {
    views = new RepositoryViews(deps.index, deps.config.oci)
    perApp.set(deps, views)
  }
  return views
}

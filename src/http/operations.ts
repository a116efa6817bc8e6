// Every operation of the HTTP API, as each route module declares it beside its handlers: the list
// /openapi.json is built from (openapi/openapi.ts). test/http/openapi.test.ts checks it against
// the routes the app registers, both ways, and test/http/contract.test.ts parses real answers
// with the schemas it declares. A new route is declared once, in its own module, and added here.
import type { RouteSpec } from './openapi/route-spec.js'
import { adminOperations } from './routes/admin.js'
import { adminServiceOperations } from './routes/admin-service.js'
import { attestationOperations } from './routes/attestations.js'
import { bundleOperations } from './routes/bundles.js'
import { healthOperations } from './routes/health.js'
import { hookOperations } from './routes/hooks.js'
import { metricsOperations } from './routes/metrics.js'
import { openApiOperations } from './routes/openapi.js'
import { templateOperations } from './routes/templates.js'
import { urlOperations } from './routes/urls.js'

export const OPERATIONS: readonly RouteSpec[] = [
  ...healthOperations,
  ...metricsOperations,
  ...openApiOperations,
  ...hookOperations,
  ...templateOperations,
  ...bundleOperations,
  ...urlOperations,
  ...attestationOperations,
  ...adminOperations,
  ...adminServiceOperations,
]

// `asset-cache forget NAME`: delete an untracked template (hand-ingested, or removed from the
// manifest) with its versions and jobs, in the data directory; safe beside a running server.
// The same action as DELETE /v1/admin/templates/{name} (admin/actions.ts).
import { type ForgetAnswer, forgetTemplate } from '../admin/actions.js'
import type { Index } from '../db/index.js'
import { AppError } from '../errors.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'

export function forgetCommand(deps: { index: Index }, name: string): number {
  let r: ForgetAnswer
  try {
    r = forgetTemplate(deps, name)
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    process.stderr.write(`asset-cache forget: ${err.code}: ${err.message}\n`)
    return EXIT_FAILED
  }
  process.stdout.write(
    `forgot ${name}: ${r.versions} version(s) and ${r.jobs} job(s) deleted; ` +
      'its bundles stay until gc finds no version keeping them\n',
  )
  return EXIT_OK
}

// The CLI's exit codes, one table for every command (README "Exit codes"):
//   0  the command did what it was asked
//   1  the operation failed (a rejected archive, corruption found, a server that refused)
//   2  usage or configuration: a wrong argument or option, a setting that does not parse or
//      cannot be used (the port, the data directory); fix the command line or the environment
import { AppError } from '../errors.js'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** Error codes that mean the command line or the configuration must change. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'CONFIG_INVALID',
  'DATA_DIR_UNUSABLE',
  'LISTEN_FAILED',
  'INPUT_UNREADABLE',
  'UNTRACKED_TEMPLATE',
  'INVALID_ARGUMENT',
  'TRUSTED_KEY_INVALID',
  'SIGNING_OFF',
])

export function exitCodeOf(err: unknown): number {
  return err instanceof AppError && USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILED
}

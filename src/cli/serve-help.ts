// The settings `serve --help` lists: every variable the service reads (config.ts ENV_VARS), and
// where each is explained.
import { ENV_VARS } from '../config.js'

export function serveHelp(): string {
  const width = Math.max(...ENV_VARS.map((v) => v.length))
  const columns = 2
  const rows: string[] = []
  for (let i = 0; i < ENV_VARS.length; i += columns) {
    rows.push(
      `  ${ENV_VARS.slice(i, i + columns)
        .map((v) => v.padEnd(width))
        .join('  ')
        .trimEnd()}`,
    )
  }
  return [
    '',
    'Settings (environment variables):',
    ...rows,
    '',
    'Defaults and effects: docs/configuration.md in the source repository.',
  ].join('\n')
}

// docs/configuration.md documents exactly the variables the service reads (ENV_VARS), and every
// default it states is the real one.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ENV_VARS, loadConfig } from '../../src/config.js'

const DOC = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')

interface Row {
  variable: string
  defaultCell: string
  text: string
}

/** The rows of the table whose header is `| variable | default | effect |`. */
function envTable(markdown: string): Row[] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((l) => /^\|\s*variable\s*\|\s*default\s*\|\s*effect\s*\|$/.test(l))
  if (start === -1) throw new Error('no "| variable | default | effect |" table')
  const rows: Row[] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    const cells = line.split('|').slice(1, -1)
    const variable = /^\s*`([^`]+)`\s*$/.exec(cells[0] ?? '')?.[1]
    if (!variable) throw new Error(`row without a single \`VARIABLE\`: ${line}`)
    rows.push({ variable, defaultCell: (cells[1] ?? '').trim(), text: line })
  }
  return rows
}

const NAME = /\b(?:ASSET_CACHE|GITEA|MOLECULE)_[A-Z0-9_]*[A-Z0-9]\b/g

/** Names in ENV_VARS missing from the table, and names in the table not in ENV_VARS. */
function drift(markdown: string, vars: readonly string[]) {
  const rows = envTable(markdown)
  const documented = rows.map((r) => r.variable)
  const mentioned = rows.flatMap((r) => r.text.match(NAME) ?? [])
  return {
    undocumented: vars.filter((v) => !documented.includes(v)),
    unknown: [...new Set([...documented, ...mentioned])].filter((n) => !vars.includes(n)),
    duplicated: documented.filter((v, i) => documented.indexOf(v) !== i),
  }
}

describe('docs/configuration.md', () => {
  it('has a row for every variable in ENV_VARS, and names no other', () => {
    expect(ENV_VARS.length).toBeGreaterThan(10)
    expect(drift(DOC, ENV_VARS)).toEqual({ undocumented: [], unknown: [], duplicated: [] })
  })

  it('states the real default of every variable that has one', () => {
    const cwd = '/srv/asset-cache'
    const defaults = loadConfig({}, cwd)
    const checked = envTable(DOC).filter((r) => /^`[^`]+`$/.test(r.defaultCell))
    expect(checked.length).toBeGreaterThan(15)
    for (const row of checked) {
      const value = row.defaultCell.slice(1, -1)
      expect(loadConfig({ [row.variable]: value }, cwd), row.variable).toEqual(defaults)
    }
  })

  it('the check catches a missing row, an unknown name and a wrong default', () => {
    const without = DOC.replace(/^\| `ASSET_CACHE_GC_INTERVAL` .*\n/m, '')
    expect(drift(without, ENV_VARS).undocumented).toEqual(['ASSET_CACHE_GC_INTERVAL'])
    const extra = DOC.replace(
      '| `ASSET_CACHE_PORT` |',
      '| `ASSET_CACHE_LISTEN` | none | x |\n| `ASSET_CACHE_PORT` |',
    )
    expect(drift(extra, ENV_VARS).unknown).toEqual(['ASSET_CACHE_LISTEN'])
    const mention = DOC.replace('listen port (', 'listen port, see ASSET_CACHE_SERVER (')
    expect(drift(mention, ENV_VARS).unknown).toEqual(['ASSET_CACHE_SERVER'])
    expect(drift(DOC, [...ENV_VARS, 'ASSET_CACHE_NEW']).undocumented).toEqual(['ASSET_CACHE_NEW'])
    const cwd = '/srv/asset-cache'
    expect(loadConfig({ ASSET_CACHE_KEEP_VERSIONS: '5' }, cwd)).not.toEqual(loadConfig({}, cwd))
  })
})

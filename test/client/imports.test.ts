// The provisioner client is a library other programs import: it loads the client's own modules and
// the few packages it needs, never the server's (globs, YAML, SQLite, HTTP framework, logging).
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '../../src')

/** Every module specifier `file` loads at run time (`import type` and `export type` are erased). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  const statement = /^(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm
  for (const m of text.matchAll(statement)) found.push(m[1]!)
  return found
}

/** The modules reachable from `entry`, and the packages they import. */
function graph(entry: string): { modules: string[]; packages: Set<string> } {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')))
      else packages.add(spec.startsWith('node:') ? 'node:' : spec.split('/')[0]!)
    }
  }
  visit(entry)
  return { modules: [...seen].map((f) => relative(SRC, f)).sort(), packages }
}

it('the public client module loads no server-only dependency', () => {
  const { modules, packages } = graph(join(SRC, 'index.ts'))
  expect([...packages].sort()).toEqual(['node:', 'tar-stream', 'undici'])
  // The name rules are shared with the validator, module by module.
  expect(modules).toEqual(
    expect.arrayContaining(['bundle/agent-owned.ts', 'bundle/names.ts', 'bundle/paths.ts']),
  )
  expect(modules).not.toContain('bundle/index.ts')
  expect(modules.filter((m) => /^(db|http|routes|jobs|admin|api|cli)\//.test(m))).toEqual([])
})

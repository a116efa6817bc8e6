// Reading deploy/ for the deploy tests: paths relative to the repository root (the Docker build
// context), every YAML document and JSON file parsed for real.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { parseAllDocuments } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DEPLOY = join(ROOT, 'deploy')

export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** Every file under `dir` (repository-relative paths), recursively, sorted. */
export function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort()
}

/** The documents of a YAML text; throws on the first document with an error or a warning. */
export function yamlDocs(text: string, name = 'yaml'): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    const problem = doc.errors[0] ?? doc.warnings[0]
    if (problem) throw new Error(`${name}[${i}]: ${problem.message}`)
    return doc.toJS() as unknown
  })
}

export const readYaml = (path: string) => yamlDocs(read(path), path)

/**
 * The check catches each broken rule: every `from` stands in `text`, and `check` finds a problem
 * in the text with it replaced by `to`.
 */
export function expectEachBreaks(
  text: string,
  broken: [from: string, to: string][],
  check: (changed: string) => unknown[],
): void {
  for (const [from, to] of broken) {
    expect(text, from).toContain(from)
    expect(check(text.replace(from, to)), from).not.toEqual([])
  }
}

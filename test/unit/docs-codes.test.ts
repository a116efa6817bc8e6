// The docs are the contract for codes: every code the service records (REJECT_CODES, ERROR_CODES)
// is documented, and every code an HTTP answer carries is in docs/contract.md's status table on
// the row of the status it is answered with.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, REJECT_CODES, statusTable } from '../../src/errors.js'
import { ROOT } from '../support/markdown.js'

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => read(`docs/${f}`))
  .join('\n')

/** Every .ts/.tsx file under src/, as text. */
function sources(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (e.isFile() && /\.tsx?$/.test(e.name)) {
      const path = join(e.parentPath, e.name)
      out[path] = readFileSync(path, 'utf8')
    }
  }
  return out
}

/** `status code` pairs the HTTP layer answers with: the one status table, and direct answers in the source. */
function answered(
  files: Record<string, string>,
  table: [string, number][] = statusTable(),
): string[] {
  const pairs = new Set<string>()
  for (const text of Object.values(files)) {
    for (const m of text.matchAll(/errorBody\('([A-Z][A-Z0-9_]*)'[^)]*\)[^)]*?,\s*(\d{3})\)/g)) {
      pairs.add(`${m[2]} ${m[1]}`)
    }
  }
  // The one code → status table (errors.ts); a code it does not name is 500 INTERNAL.
  for (const [code, status] of table) pairs.add(`${status} ${code}`)
  pairs.add('500 INTERNAL')
  return [...pairs].sort()
}

/** `status code` pairs of the `| status | codes | meaning |` table. */
function documented(markdown: string): string[] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((l) => /^\|\s*status\s*\|\s*codes\s*\|/.test(l))
  const pairs: string[] = []
  for (const line of lines.slice(start + 2)) {
    if (start === -1 || !line.startsWith('|')) break
    const [status, codes] = line.split('|').slice(1, 3)
    for (const m of (codes ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)) {
      pairs.push(`${status!.trim()} ${m[1]}`)
    }
  }
  return pairs
}

const undocumented = (answers: string[], table: string[]) =>
  answers.filter((p) => !table.includes(p))

describe('codes in the docs', () => {
  it('every reject and error code the service records is documented', () => {
    const missing = [...REJECT_CODES, ...ERROR_CODES].filter((c) => !DOCS.includes(`\`${c}\``))
    expect(missing).toEqual([])
  })

  it("every code an HTTP answer carries is on its status's row in docs/contract.md", () => {
    const answers = answered(sources())
    expect(answers).toEqual(
      expect.arrayContaining(['400 INVALID_DIGEST', '404 NOT_FOUND', '502 GITEA_UNAVAILABLE']),
    )
    expect(answers.length).toBeGreaterThan(15)
    expect(undocumented(answers, documented(read('docs/contract.md')))).toEqual([])
  })

  it('the checks catch a code answered but not documented, or documented on another status', () => {
    const table = documented(read('docs/contract.md'))
    const raise = (status: number, code: string) => answered({}, [[code, status]])
    expect(raise(409, 'TEMPLATE_NOT_TRACKED')).toEqual(['409 TEMPLATE_NOT_TRACKED', '500 INTERNAL'])
    expect(undocumented(raise(409, 'TEMPLATE_NOT_TRACKED'), table)).toHaveLength(1)
    expect(undocumented(raise(400, 'ADMIN_DISABLED'), table)).toHaveLength(1)
    expect(undocumented(raise(503, 'ADMIN_DISABLED'), table)).toEqual([])
    const notFound = "app.notFound((c) => c.json(errorBody('NOWHERE', 'no', c.var.requestId), 404))"
    expect(answered({ 'y.ts': notFound }, [])).toEqual(['404 NOWHERE', '500 INTERNAL'])
  })
})

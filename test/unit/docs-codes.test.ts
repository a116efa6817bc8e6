// The docs are the contract for codes: every code the service records (REJECT_CODES, ERROR_CODES)
// is documented, and every code an HTTP answer carries is in docs/contract.md's status table on
// the row of the status it is answered with.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, REJECT_CODES } from '../../src/errors.js'
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

/** `status code` pairs the HTTP layer answers with, read from the source. */
function answered(files: Record<string, string>): string[] {
  const pairs = new Set<string>()
  for (const text of Object.values(files)) {
    for (const m of text.matchAll(/new ApiError\(\s*(\d{3}),\s*'([A-Z][A-Z0-9_]*)'/g)) {
      pairs.add(`${m[1]} ${m[2]}`)
    }
    for (const m of text.matchAll(/errorBody\('([A-Z][A-Z0-9_]*)'[^)]*\)[^)]*?,\s*(\d{3})\)/g)) {
      pairs.add(`${m[2]} ${m[1]}`)
    }
    // The code → status switch for errors raised below HTTP (its default is 500 INTERNAL).
    const table = /export function statusOf[\s\S]*?\n\}/.exec(text)?.[0] ?? ''
    let pending: string[] = []
    for (const line of table.split('\n')) {
      const c = /case '([A-Z][A-Z0-9_]*)':/.exec(line)
      const r = /return (\d{3})/.exec(line)
      if (c) pending.push(c[1]!)
      if (r) {
        for (const code of pending) pairs.add(`${r[1]} ${code}`)
        pending = []
      }
    }
  }
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
    const raise = (status: number, code: string) => ({
      'x.ts': `throw new ApiError(\n  ${status},\n  '${code}',\n  'message',\n)`,
    })
    expect(answered(raise(409, 'TEMPLATE_NOT_TRACKED'))).toEqual(['409 TEMPLATE_NOT_TRACKED'])
    expect(undocumented(answered(raise(409, 'TEMPLATE_NOT_TRACKED')), table)).toHaveLength(1)
    expect(undocumented(answered(raise(400, 'ADMIN_DISABLED')), table)).toHaveLength(1)
    expect(undocumented(answered(raise(503, 'ADMIN_DISABLED')), table)).toEqual([])
    const notFound = "app.notFound((c) => c.json(errorBody('NOWHERE', 'no', c.var.requestId), 404))"
    expect(answered({ 'y.ts': notFound })).toEqual(['404 NOWHERE'])
  })
})

// The repository is self-contained: no file names a document outside it, every relative link in
// its Markdown reaches a file (and a heading, when it names one) inside it, and every
// `docs/<page>.md#<anchor>` a comment cites exists.
import { existsSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anchors, links, ROOT, repositoryFiles, slug, textOf } from '../support/markdown.js'

/**
 * Documents that live outside the repository. Written so that this file does not match them
 * itself: a reader of the repository cannot open any of them.
 */
const OUTSIDE: RegExp[] = [
  /(?<![\w/.-])DES[I]GN\.md\b/,
  /(?<![\w/.-])STY[L]E\.md\b/,
  /\.\.\/shar[e]d\b/,
  /(?<![\w.])\/wor[k]\/(?:shared|notes|wt|main)\b/,
]

/** `file:line: text` for every line of `files` that names a document outside the repository. */
function outsideReferences(files: Record<string, string>): string[] {
  const out: string[] = []
  for (const [file, text] of Object.entries(files)) {
    text.split('\n').forEach((line, i) => {
      if (OUTSIDE.some((re) => re.test(line))) out.push(`${file}:${i + 1}: ${line.trim()}`)
    })
  }
  return out
}

const anchorCache = new Map<string, Set<string>>()
function anchorsOf(path: string): Set<string> {
  let set = anchorCache.get(path)
  if (!set) {
    set = anchors(textOf(path) ?? '')
    anchorCache.set(path, set)
  }
  return set
}

/** Why `target` (relative to `from`, optionally with #anchor) does not resolve; null if it does. */
function brokenTarget(from: string, target: string, exists: (p: string) => boolean) {
  const [rawPath = '', anchor] = target.split('#') as [string, string | undefined]
  const path = rawPath === '' ? from : normalize(join(dirname(from), decodeURI(rawPath)))
  if (path.startsWith('..') || path.startsWith('/')) return 'leaves the repository'
  if (!exists(path)) return 'no such file'
  if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(path).has(anchor)) {
    return `no heading #${anchor} in ${path}`
  }
  return null
}

const inRepository = (p: string) => existsSync(join(ROOT, p))

/** Relative links of the Markdown files that do not resolve inside the repository. */
function brokenLinks(markdownFiles: Record<string, string>, exists = inRepository): string[] {
  const out: string[] = []
  for (const [file, text] of Object.entries(markdownFiles)) {
    for (const { target, line } of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:, …
      const why = brokenTarget(file, target, exists)
      if (why) out.push(`${file}:${line}: ${target}: ${why}`)
    }
  }
  return out
}

/** A comment line of code or configuration, or any line of Markdown. */
const prose = (file: string, line: string) =>
  file.endsWith('.md') || /^\s*(?:\/\/|\/?\*|#)/.test(line)

/**
 * Citations such as docs/api.md#provisioner-api in comments and Markdown, checked like links
 * (a string in code may be test data: a template's own docs/ folder).
 */
function brokenCitations(files: Record<string, string>): string[] {
  const out: string[] = []
  for (const [file, text] of Object.entries(files)) {
    text.split('\n').forEach((line, i) => {
      if (!prose(file, line)) return
      for (const m of line.matchAll(/(?<![\w./-])docs\/([\w-]+\.md)(#[\w-]+)?/g)) {
        const why = brokenTarget('x', `docs/${m[1]}${m[2] ?? ''}`, inRepository)
        if (why) out.push(`${file}:${i + 1}: ${m[0]}: ${why}`)
      }
    })
  }
  return out
}

function read(files: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of files) {
    const text = textOf(f)
    if (text !== null) out[f] = text
  }
  return out
}

const FILES = repositoryFiles()
const MARKDOWN = FILES.filter((f) => f.endsWith('.md'))

describe('the repository is self-contained', () => {
  it('no file names a document outside the repository', () => {
    expect(FILES.length).toBeGreaterThan(200)
    expect(FILES).toContain('src/config.ts')
    expect(outsideReferences(read(FILES))).toEqual([])
  })

  it('every relative Markdown link reaches a file, and a heading when it names one', () => {
    expect(MARKDOWN).toEqual(expect.arrayContaining(['README.md', 'docs/contract.md']))
    expect(links(textOf('README.md')!).length).toBeGreaterThan(2)
    expect(brokenLinks(read(MARKDOWN))).toEqual([])
  })

  it('every docs/<page>.md#<anchor> cited in a comment exists', () => {
    expect(brokenCitations(read(FILES))).toEqual([])
  })

  it('the checks catch each kind of breakage', () => {
    const doc = ['DES', 'IGN.md'].join('')
    expect(outsideReferences({ 'src/a.ts': `// the contract (${doc} "Scale")` })).toHaveLength(1)
    expect(
      outsideReferences({ 'a.md': `see ${doc.replace('DES', 'ST').replace('IGN', 'YLE')}` }),
    ).toHaveLength(1)
    expect(outsideReferences({ 'a.ts': "'prompts/style.md': 'Be brief.'" })).toEqual([])
    const shared = ['..', 'shar' + 'ed', 'notes'].join('/')
    expect(outsideReferences({ 'a.md': `see ${shared}` })).toHaveLength(1)
    expect(outsideReferences({ 'a.md': `see ${shared.replace('..', '/work')}` })).toHaveLength(1)
    expect(outsideReferences({ 'a.md': 'the design of docs/contract.md' })).toEqual([])
    const md = (text: string) => brokenLinks({ 'docs/x.md': text })
    expect(md('[a](api.md)')).toEqual([])
    expect(md('[a](api.md#provisioner-api)')).toEqual([])
    expect(md('[a](../deploy/README.md#host-install-with-systemd)')).toEqual([])
    expect(md('[a](api.md#no-such-heading)')).toHaveLength(1)
    expect(md('[a](apis.md)')).toHaveLength(1)
    expect(md('[a](../../elsewhere.md)')).toHaveLength(1)
    expect(md('`[a](apis.md)` and\n```\n[a](apis.md)\n```')).toEqual([])
    expect(md('[a](https://example.com/x.md)')).toEqual([])
    const cite = (text: string) => brokenCitations({ 'src/a.ts': text })
    expect(cite(`// (${['docs', 'api.md#admin-api--v1admin'].join('/')})`)).toEqual([])
    expect(cite(`// (${['docs', 'api.md#admin'].join('/')})`)).toHaveLength(1)
    expect(cite(`// (${['docs', 'guide.md'].join('/')})`)).toHaveLength(1)
    expect(cite(`  * ${['docs', 'guide.md'].join('/')}`)).toHaveLength(1)
    expect(cite(`const fixture = '${['docs', 'index.md'].join('/')}'`)).toEqual([])
  })

  it('makes anchors as GitHub does', () => {
    expect(slug('Webhook — `POST /hooks/gitea`')).toBe('webhook--post-hooksgitea')
    expect(slug('Admin API — `/v1/admin/*`')).toBe('admin-api--v1admin')
    expect(slug('Client environment (`pull`, `pin`, `unpin`, `refresh`)')).toBe(
      'client-environment-pull-pin-unpin-refresh',
    )
    expect([...anchors('# A\n## A\n```sh\n# not a heading\n```\n')]).toEqual(['a', 'a-1'])
  })
})

// Reading the repository's Markdown as a reader's browser would: headings and their anchors (as
// GitHub makes them), links outside code, and the list of files the repository holds.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Tracked files plus new ones not ignored: what a commit of this tree would hold. */
export function repositoryFiles(): string[] {
  const out = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
  // node_modules may be a symlink, which `node_modules/` in .gitignore does not match.
  return [...new Set(out.split('\0'))].filter((f) => f && !/^node_modules(\/|$)/.test(f)).sort()
}

/** The text of a repository file, or null for a binary or vanished one. */
export function textOf(path: string): string | null {
  let bytes: Buffer
  try {
    bytes = readFileSync(join(ROOT, path))
  } catch {
    return null
  }
  return bytes.subarray(0, 8000).includes(0) ? null : bytes.toString('utf8')
}

/** Markdown with fenced code blocks and inline code spans blanked (lines are kept). */
export function withoutCode(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length))
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a Markdown file offers: its headings' slugs (repeats get -1, -2…). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  const fenced = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
  for (const m of fenced.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(m[1]!)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** Inline link targets `[text](target)` outside code, with the line each is on. */
export function links(markdown: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = []
  withoutCode(markdown)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        out.push({ target: m[1]!, line: i + 1 })
      }
    })
  return out
}

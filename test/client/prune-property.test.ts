// Property: after any sequence of versions, DIR holds exactly the current bundle's files plus the
// agent's own files (untouched), and no directory pull created is left empty.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { pull, STATE_FILE } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import { bundleOf, publish, TOKEN } from './stub-server.js'
import { stubOnce } from './stub-suite.js'

const ctx = stubOnce('prune-prop-')

const POOL = [
  'config.yaml',
  'prompts/a.md',
  'prompts/deep/b.md',
  'agent-skills/x/run.sh',
  'p',
  'p/q.md',
  'p/r/s.md',
  'top.md',
]
const AGENT: Record<string, string> = {
  'MEMORY.md': 'memory',
  'workspace/notes.md': 'notes',
  'prompts/mine.md': 'mine',
}

/** A bundle's paths: no file may be a directory of another (the server refuses that). */
const paths = fc
  .subarray(POOL, { minLength: 1 })
  .filter((ps) => !ps.some((a) => ps.some((b) => b.startsWith(`${a}/`))))
const versions = fc.array(
  fc
    .tuple(paths, fc.nat(3))
    .map(([ps, salt]) => ps.map((path) => ({ path, body: `${path}${salt}` }))),
  { minLength: 1, maxLength: 4 },
)

async function emptyDirs(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const [path, kind] of Object.entries(await snapshot(dir))) {
    if (kind.startsWith('dir ') && (await readdir(join(dir, path))).length === 0) out.push(path)
  }
  return out
}

it('DIR is always the current bundle plus the agent files, with no emptied directory left', async () => {
  let run = 0
  await fc.assert(
    fc.asyncProperty(versions, async (seq) => {
      const dir = join(ctx.root, String(run++))
      for (const [path, body] of Object.entries(AGENT)) {
        await mkdir(join(dir, path, '..'), { recursive: true })
        await writeFile(join(dir, path), body)
      }
      for (const files of seq) {
        publish(ctx.stub, 'seo', await bundleOf(files))
        await pull(ctx.stub.url, 'seo', { into: dir, token: TOKEN })
        const regular = Object.entries(await snapshot(dir))
          .filter(([p, kind]) => kind.startsWith('file ') && p !== STATE_FILE)
          .map(([p]) => p)
          .sort()
        expect(regular).toEqual([...files.map((f) => f.path), ...Object.keys(AGENT)].sort())
        for (const f of files) expect(await readFile(join(dir, f.path), 'utf8')).toBe(f.body)
        for (const [path, body] of Object.entries(AGENT)) {
          expect(await readFile(join(dir, path), 'utf8')).toBe(body)
        }
        expect(await emptyDirs(dir)).toEqual([])
      }
    }),
    { numRuns: 30 },
  )
})

// The client never writes what the agent owns, however a hostile bundle spells it: near-misses of
// agent-owned paths straight into materialize(), under their true digest, into a workspace that
// already holds the agent's files.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printableName } from '../../src/bundle/index.js'
import { materialize } from '../../src/client/index.js'
import { foldedVariants, insertion } from '../bundle/helpers/agent-owned.js'
import { snapshot } from './snapshot.js'
import { digestOfBytes, rawTar } from './stub-server.js'

let root: string
let run = 0
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pull-owned-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A workspace with the agent's own files in it. */
async function workspace(): Promise<string> {
  run += 1
  const dir = join(root, `ws${run}`)
  await mkdir(join(dir, 'workspace'), { recursive: true })
  await mkdir(join(dir, '.claude/sessions'), { recursive: true })
  await writeFile(join(dir, 'MEMORY.md'), 'agent memory')
  await writeFile(join(dir, 'workspace/notes.md'), 'agent notes')
  await writeFile(join(dir, '.claude/sessions/s.json'), '{}')
  return dir
}

/** Materializes a bundle naming `path`; resolves with the error code, or null when it wrote. */
async function pullOf(path: string, dir: string): Promise<string | null> {
  const tar = rawTar([
    { name: 'config.yaml', body: 'name: evil\n' },
    { name: path, body: 'pwned' },
  ])
  const options = { digest: digestOfBytes(tar), template: 'seo', commit: null }
  return materialize(Readable.from([tar]), dir, options).then(
    () => null,
    (err: Error & { code?: string }) => err.code ?? err.name,
  )
}

describe('materialize and agent-owned near-misses', () => {
  it.each(
    [
      'workspace/notes\u2028.md',
      '.claude/sessions/s\u2029.json',
      'uſer.md',
      'workſpace/x.md',
      'CLAUDE.md',
    ].map((path) => [printableName(path), path]),
  )('%s is refused and nothing is written', async (_, path) => {
    const dir = await workspace()
    const before = await snapshot(dir)
    expect(await pullOf(path, dir)).toMatch(/^(AGENT_OWNED_PATH|PATH_BAD_CHARACTER)$/)
    expect(await snapshot(dir)).toEqual(before)
  })

  it('property: a near-miss that names an owned path is never written', async () => {
    const mustRefuse = fc
      .oneof(insertion({ utf8: true }), fc.constantFrom(...foldedVariants()))
      .filter((m) => m.mustRefuse && Buffer.byteLength(m.path) < 100)
    await fc.assert(
      fc.asyncProperty(mustRefuse, async ({ path }) => {
        const dir = await workspace()
        const before = await snapshot(dir)
        const code = await pullOf(path, dir)
        expect(code, JSON.stringify(path)).not.toBeNull()
        expect(code).toMatch(/^[A-Z_]+$/)
        expect(await snapshot(dir)).toEqual(before)
      }),
      { numRuns: 150 },
    )
  })
})

// Property tests: random valid trees round-trip exactly; random damage to a real git archive ends
// in a bundle or a RejectError with a known code — never a crash, a stray error type or a hang.
import { readdir, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import tar from 'tar-stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalize, compareUtf8, foldCase } from '../../src/bundle/index.js'
import { REJECT_CODES, RejectError } from '../../src/errors.js'
import { archive, commitTree } from '../support/git.js'
import { accept, readBack, tempDir } from './helpers/run.js'
import { pax } from './helpers/tar.js'

// Segments: no dots in directories (so a file, which ends in `.md` or `.sh`, is never a directory
// of another), no Windows device names, and some non-ASCII letters (NFC) to exercise pax paths.
const segment = fc
  .string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_éüß中'),
    minLength: 1,
    maxLength: 40,
  })
  .filter((s) => !/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(s))
const keptPath = fc
  .tuple(
    fc.constantFrom('prompts', 'agent-skills'),
    fc.array(segment, { maxLength: 4 }),
    segment,
    fc.constantFrom('.md', '.sh'),
  )
  .map(([top, dirs, name, ext]) => [top, ...dirs, `${name}${ext}`].join('/'))
const keptFile = fc.record({
  path: keptPath,
  body: fc.uint8Array({ maxLength: 1500 }),
  executable: fc.boolean(),
})
const skippedFile = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `src/${s.join('/')}.ts`),
  body: fc.uint8Array({ maxLength: 300 }),
  executable: fc.constant(false),
})
const tree = fc.record({
  kept: fc.uniqueArray(keptFile, { maxLength: 12, selector: (f) => foldCase(f.path) }),
  skipped: fc.uniqueArray(skippedFile, { maxLength: 4, selector: (f) => f.path }),
  order: fc.array(fc.integer(), { minLength: 20, maxLength: 20 }),
  level: fc.integer({ min: 1, max: 9 }),
  // tar-stream's packer writes a negative mtime past 2038 (`| 0`); git does not.
  mtime: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
})

type TreeFile = { path: string; body: Uint8Array; executable: boolean }

async function gitLikeArchive(files: TreeFile[], level: number, mtime: number): Promise<Buffer> {
  const pack = tar.pack()
  pack.entry({ name: 'tpl/', type: 'directory', mtime: new Date(mtime * 1000) })
  for (const f of files) {
    const header = {
      name: `tpl/${f.path}`,
      mode: f.executable ? 0o775 : 0o664,
      mtime: new Date(mtime * 1000),
    }
    pack.entry(header, Buffer.from(f.body))
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  return gzipSync(Buffer.concat([pax([['comment', 'c0ffee']], 'g'), ...chunks]), { level })
}

describe('random valid trees', () => {
  it('are accepted and round-trip exactly', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async ({ kept, skipped, order, level, mtime }) => {
        const config = { path: 'config.yaml', body: Buffer.from('a: 1\n'), executable: false }
        const all = [config, ...kept, ...skipped]
        const shuffled = all
          .map((f, i) => ({ f, key: order[i % order.length]! + i / 1000 }))
          .sort((a, b) => a.key - b.key)
          .map(({ f }) => f)
        const { bundle, tar: canonical } = await accept(
          await gitLikeArchive(shuffled, level, mtime),
        )
        const expected = [config, ...kept].sort((a, b) => compareUtf8(a.path, b.path))
        expect(bundle.skipped).toBe(skipped.length)
        expect(bundle.files.map((f) => f.path)).toEqual(expected.map((f) => f.path))
        const back = await readBack(canonical)
        expect(back.map((f) => f.path)).toEqual(expected.map((f) => f.path))
        back.forEach((f, i) => {
          expect(f.mode).toBe(expected[i]!.executable ? 0o755 : 0o644)
          expect(f.body).toEqual(Buffer.from(expected[i]!.body))
        })
      }),
      { numRuns: 60 },
    )
  })
})

describe('random damage to a real git archive', () => {
  let repo: string
  let tgz: Buffer
  let plain: Buffer
  beforeAll(async () => {
    repo = await tempDir('bundle-fuzz-repo-')
    await commitTree(repo, {
      'config.yaml': 'name: fuzz\nsteps: [a, b]\n',
      'prompts/intro.md': '# Intro\n'.repeat(40),
      [`prompts/${'n'.repeat(120)}.md`]: 'pax path\n',
      'agent-skills/x/run.sh': { content: '#!/bin/sh\necho run\n', executable: true },
      Dockerfile: 'FROM scratch\n',
      node_modules: { symlink: '/usr/lib/node_modules' },
    })
    tgz = await archive(repo, 'tpl')
    plain = await archive(repo, 'tpl', 'tar')
  })
  afterAll(() => rm(repo, { recursive: true, force: true }))

  const damage = fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
    }),
  )
  type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never

  function apply(input: Buffer, d: Damage): Buffer {
    const at = d.at % (input.length + 1)
    if (d.kind === 'cut') return input.subarray(0, at)
    if (d.kind === 'insert')
      return Buffer.concat([input.subarray(0, at), d.bytes, input.subarray(at)])
    const out = Buffer.from(input)
    if (at < out.length) out[at]! ^= 1 << d.bit
    return out
  }

  async function outcome(bytes: Buffer, chunk: number): Promise<void> {
    const spoolDir = await tempDir()
    const chunks: Buffer[] = []
    for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk))
    const run = canonicalize(Readable.from(chunks), {
      spoolDir,
      limits: { idleTimeoutMs: 2000, totalTimeoutMs: 4000 },
    }).then(
      async (bundle) => {
        await bundle.stream().toArray()
        await bundle.dispose()
      },
      (err: unknown) => {
        if (!(err instanceof RejectError)) throw err
        expect(REJECT_CODES).toContain(err.code)
      },
    )
    const hang = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('hang')), 6000).unref(),
    )
    await Promise.race([run, hang])
    expect(await readdir(spoolDir)).toEqual([])
    await rm(spoolDir, { recursive: true })
  }

  for (const { name, bytes, numRuns } of [
    { name: 'of the gzip bytes', bytes: (ds: Damage[]) => ds.reduce(apply, tgz), numRuns: 150 },
    {
      name: 'of the tar bytes, gzipped again (reaching the tar parsers)',
      bytes: (ds: Damage[]) => gzipSync(ds.reduce(apply, plain)),
      numRuns: 250,
    },
  ]) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(damage, { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 1, max: 4096 }),
          async (ds, chunk) => {
            await outcome(bytes(ds), chunk)
          },
        ),
        { numRuns },
      )
    })
  }
})

// The canonical tar read through readInto() (what the content store's put does, into one reused
// buffer) gives the same bytes as the stream and checks each body the same way.
import { createHash, randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type CanonicalFile, canonicalize, canonicalTar } from '../../src/bundle/index.js'
import { ContentStore } from '../../src/store/index.js'
import { tempDir } from './helpers/run.js'
import { file, gz, templateTar } from './helpers/tar.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

function fromBytes(path: string, body: Buffer, positional: boolean): CanonicalFile {
  return {
    path,
    mode: 0o644,
    size: body.length,
    sha256: sha(body),
    open: () => Readable.from([body.subarray(0, 7), body.subarray(7)]),
    ...(positional
      ? {
          readAt: async (into: Uint8Array, at: number) => {
            // Short reads, as a file may give them.
            const n = Math.min(into.length, body.length - at, 1000)
            into.set(body.subarray(at, at + n))
            return n
          },
        }
      : {}),
  }
}

async function filled(files: CanonicalFile[], size: number): Promise<Buffer> {
  const tar = canonicalTar(files)
  const parts: Buffer[] = []
  const scratch = Buffer.alloc(size)
  for (;;) {
    const n = await tar.readInto(scratch)
    if (n === 0) break
    parts.push(Buffer.from(scratch.subarray(0, n)))
    scratch.fill(0xee)
  }
  tar.destroy()
  return Buffer.concat(parts)
}

let dir: string
beforeEach(async () => {
  dir = await tempDir()
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('readInto', () => {
  const bodies = [randomBytes(70_000), randomBytes(511), Buffer.alloc(0), randomBytes(513)]
  const names = ['prompts/b.bin', 'prompts/a.md', 'config.yaml', `prompts/${'x'.repeat(120)}.md`]

  it('gives the stream bytes whatever the buffer size, from open() or readAt()', async () => {
    for (const positional of [false, true]) {
      const files = bodies.map((b, i) => fromBytes(names[i]!, b, positional))
      const streamed = Buffer.concat(await canonicalTar(files).toArray())
      expect(streamed.length).toBe(canonicalTar(files).byteLength)
      for (const size of [1, 100, 512, 4096, 300_000]) {
        expect((await filled(files, size)).equals(streamed)).toBe(true)
      }
    }
  })

  it('checks each body: digest, short and long', async () => {
    const body = randomBytes(3000)
    const wrong = { ...fromBytes('a', body, true), sha256: sha(randomBytes(3000)) }
    await expect(filled([wrong], 4096)).rejects.toMatchObject({ code: 'EINTEGRITY' })
    const short = { ...fromBytes('a', body, true), size: 3001, sha256: undefined }
    await expect(filled([short], 4096)).rejects.toMatchObject({ code: 'EBADSIZE', found: 3000 })
    const long = { ...fromBytes('a', body, false), size: 2999, sha256: undefined }
    await expect(filled([long], 100)).rejects.toMatchObject({ code: 'EBADSIZE' })
  })
})

describe('a spooled bundle into the store', () => {
  it('is stored with the digest and size of its stream', async () => {
    const big = randomBytes(600_000)
    const archive = gz(
      templateTar([file('tpl/prompts/big.bin', big), file('tpl/prompts/a.md', 'hello\n')]),
    )
    const bundle = await canonicalize(Readable.from([archive]), { spoolDir: dir })
    try {
      const bytes = Buffer.concat(await bundle.stream().toArray())
      const store = await ContentStore.open(`${dir}/store`)
      const put = await store.put(bundle.stream(), { size: bundle.size })
      expect(put).toMatchObject({ digest: `sha256:${sha(bytes)}`, size: bytes.length })
      expect((await store.read(put.digest, put.size)).equals(bytes)).toBe(true)
      await expect(store.put(bundle.stream(), { size: bundle.size - 1 })).rejects.toMatchObject({
        code: 'EBADSIZE',
      })
    } finally {
      await bundle.dispose()
    }
    expect(() => bundle.stream()).toThrow()
  })
})

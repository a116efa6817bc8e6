// Commit ids of both object formats (SHA-1: 40 hex, SHA-256: 64 hex), checked in one place and
// accepted by every reader: webhook payloads, ingest's --commit, an archive's own comment.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { ingest } from '../../src/cache/ingest.js'
import { ingestCommand } from '../../src/cli/ingest.js'
import { isObjectId, isZeroId, objectFormatOf } from '../../src/gitea/object-id.js'
import type { Runtime } from '../../src/runtime.js'
import { pushPayloadSchema } from '../../src/webhooks/payload.js'
import { gz, templateTar } from '../bundle/helpers/tar.js'
import { testRuntime } from '../support/runtime.js'

const hex = (length: number) =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).filter((s) => s.length === length)

describe('object ids', () => {
  it('accepts exactly 40 or 64 lowercase hex digits', () => {
    fc.assert(
      fc.property(fc.oneof(hex(40), hex(64)), (id) => {
        expect(isObjectId(id)).toBe(true)
        expect(objectFormatOf(id)).toBe(id.length === 64 ? 'sha256' : 'sha1')
      }),
    )
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const valid = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(text)
        expect(isObjectId(text)).toBe(valid)
        expect(objectFormatOf(text) !== null).toBe(valid)
      }),
    )
    for (const bad of [
      'A'.repeat(40),
      'a'.repeat(39),
      'a'.repeat(41),
      'a'.repeat(63),
      'a'.repeat(65),
      `${'a'.repeat(40)}\n`,
    ])
      expect(isObjectId(bad)).toBe(false)
  })

  it('knows the zero id of both formats, and nothing else', () => {
    expect(isZeroId('0'.repeat(40))).toBe(true)
    expect(isZeroId('0'.repeat(64))).toBe(true)
    for (const other of ['0'.repeat(39), '0'.repeat(41), '0'.repeat(63), `1${'0'.repeat(39)}`, ''])
      expect(isZeroId(other)).toBe(false)
  })

  it('webhook push payloads take either format', () => {
    const push = (id: string) => ({
      ref: 'refs/heads/main',
      before: id,
      after: id,
      repository: { full_name: 'acme/tpl' },
    })
    expect(pushPayloadSchema.safeParse(push('a'.repeat(64))).success).toBe(true)
    expect(pushPayloadSchema.safeParse(push('a'.repeat(40))).success).toBe(true)
    expect(pushPayloadSchema.safeParse(push('a'.repeat(50))).success).toBe(false)
  })
})

describe("an archive's own commit", () => {
  let rt: Runtime | null = null
  afterEach(() => {
    rt?.close()
    rt = null
  })

  async function ingestWithComment(comment: string) {
    rt = await testRuntime([{ name: 'seo', repo: 'acme/seo' }])
    const result = await ingest(
      { index: rt.index, store: rt.store, spoolDir: rt.spoolDir, now: rt.now },
      {
        template: rt.index.templates.get('seo')!,
        archive: Readable.from([gz(templateTar([], { commit: comment }))]),
        source: 'cli',
      },
    )
    expect(result.status).toBe('ready')
    return rt.index.versions.list('seo')[0]!.commit
  }

  it('is recorded when it is a commit id of either format', async () => {
    expect(await ingestWithComment('b'.repeat(64))).toBe('b'.repeat(64))
    rt?.close()
    expect(await ingestWithComment('c'.repeat(40))).toBe('c'.repeat(40))
  })

  it('is not recorded as a commit when it is anything else', async () => {
    expect(await ingestWithComment('release build 7')).toBeNull()
  })

  it('ingest --commit takes either format and refuses anything else before reading', async () => {
    rt = await testRuntime([{ name: 'seo', repo: 'acme/seo' }])
    const dir = await mkdtemp(join(tmpdir(), 'asset-cache-object-id-'))
    const file = join(dir, 'a.tar.gz')
    const id = 'd'.repeat(64)
    await writeFile(file, gz(templateTar([], { commit: id })))
    const write = process.stdout.write
    process.stdout.write = (() => true) as typeof process.stdout.write
    try {
      for (const bad of ['d'.repeat(50), 'main', `-${'d'.repeat(40)}`]) {
        const handle = await open(file)
        await expect(
          ingestCommand(rt, handle, { template: 'seo', commit: bad }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
        await handle.close()
      }
      const handle = await open(file)
      expect(await ingestCommand(rt, handle, { template: 'seo', commit: id })).toBe(0)
      await handle.close()
    } finally {
      process.stdout.write = write
      await rm(dir, { recursive: true, force: true })
    }
    expect(rt.index.versions.byCommit('seo', id)?.status).toBe('ready')
  })
})

// Security: no caller-supplied digest string other than sha256:<64 lowercase hex> reaches a path.
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.js'
import type { ContentStore } from '../../src/store/index.js'
import { openTempStore } from './helpers.js'

const VALID = /^sha256:[0-9a-f]{64}$/
const HEX = 'ab'.repeat(32)

/** Every way a digest enters the store, each expected to refuse with INVALID_DIGEST. */
function attempts(store: ContentStore, digest: string): Array<() => unknown> {
  return [
    () => store.contentPath(digest),
    () => store.get(digest),
    () => store.read(digest),
    () => store.has(digest),
    () => store.remove(digest),
    () => store.quarantine(digest),
    () => store.put(Readable.from([Buffer.from('x')]), { digest }),
    () => store.verify({ expectedSizes: new Map([[digest, 1]]) }),
  ]
}

async function expectRefused(store: ContentStore, digest: string): Promise<void> {
  for (const attempt of attempts(store, digest)) {
    let outcome: unknown
    try {
      outcome = await attempt()
    } catch (err) {
      outcome = err
    }
    expect(outcome).toBeInstanceOf(AppError)
    expect(outcome).toMatchObject({ code: 'INVALID_DIGEST' })
  }
}

describe('invalid digests', () => {
  it.each([
    ['uppercase hex', `sha256:${HEX.toUpperCase()}`],
    ['uppercase algorithm', `SHA256:${HEX}`],
    ['leading space', ` sha256:${HEX}`],
    ['trailing newline', `sha256:${HEX}\n`],
    ['inner whitespace', `sha256: ${HEX.slice(1)}`],
    ['traversal', 'sha256:../..'],
    ['traversal padded to length', `sha256:../../${'a'.repeat(58)}`],
    ['slash in hex', `sha256:${HEX.slice(0, 10)}/${HEX.slice(11)}`],
    ['short', `sha256:${HEX.slice(1)}`],
    ['long', `sha256:${HEX}0`],
    ['bare hex', HEX],
    ['other algorithm', `sha512:${HEX}`],
    ['sri form', `sha256-${HEX}`],
    ['empty', ''],
    ['NUL', `sha256:${HEX.slice(1)}\0`],
  ])('refuses %s', async (_name, digest) => {
    const store = await openTempStore()
    await expectRefused(store, digest)
  })

  it('refuses any string that is not sha256:<64 lowercase hex> (property)', async () => {
    const store = await openTempStore()
    const nearMiss = fc
      .tuple(
        fc.constantFrom('sha256:', 'SHA256:', 'sha256 ', '', 'sha256:../'),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF ./\n\0'), maxLength: 70 }),
      )
      .map(([prefix, rest]) => prefix + rest)
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(fc.string(), fc.string({ unit: 'grapheme' }), nearMiss)
          .filter((s) => !VALID.test(s)),
        async (digest) => {
          await expectRefused(store, digest)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('accepts every well-formed digest and maps it under blobs/sha256', async () => {
    const store = await openTempStore()
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (raw) => {
        const hex = Buffer.from(raw).toString('hex')
        const path = store.contentPath(`sha256:${hex}`)
        expect(path).toBe(`${store.dir}/blobs/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`)
        expect(await store.has(`sha256:${hex}`)).toBeNull()
      }),
      { numRuns: 100 },
    )
  })
})

// The referrers tag schema, on any list a registry may hold under a referrers tag (untrusted:
// property tests): the merge keeps every entry there as it is, appends ours where absent, lists
// each of ours once, writes canonical JSON and is a no-op the second time; anything that is not
// an image index is PUBLISH_BAD_RESPONSE, never another error. Against registries that misbehave
// in ways a real one is not made to on demand: a referrers tag holding another manifest, an
// answer past the size read. Real registries: test/e2e/oci-publish-referrers.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { canonicalBytes, type Json } from '../../src/oci/canonical-json.js'
import { buildImage, MEDIA_TYPES } from '../../src/oci/image.js'
import {
  mergeReferrers,
  pushReferrers,
  REFERRERS_INDEX_MAX,
  referrersTag,
} from '../../src/oci/push-referrers.js'
import { PushError, PushSession } from '../../src/oci/push-session.js'
import { imageReferrers, referrerDescriptor } from '../../src/oci/referrers.js'

const image = buildImage({
  template: 'seo',
  digest: `sha256:${'ab'.repeat(32)}`,
  size: 10,
  commit: 'c'.repeat(40),
  source: null,
  platforms: [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ],
})
const envelope = (n: number) =>
  JSON.stringify({ payload: Buffer.from(`statement ${n}`).toString('base64'), signatures: [] })
const referrers = imageReferrers(
  image,
  [
    { envelope: envelope(1), keyid: 'k1' },
    { envelope: envelope(2), keyid: 'k2' },
  ],
  'https://example.test/predicate',
)
const ofIndex = referrers.filter((r) => r.subject.digest === image.index.digest)
const ours = ofIndex.map((r) => r.referrer)

const digest = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `sha256:${Buffer.from(b).toString('hex')}`)
/** JSON that canonical JSON holds: numbers are integers. */
const { json } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('json'), { maxKeys: 3 }),
  ),
}))
/** An entry another client may have listed: a digest and any other fields. */
const entry = fc
  .record({ digest, extra: fc.dictionary(fc.string(), json) })
  .map(({ digest, extra }) => ({ ...extra, digest }) as { [key: string]: Json })
const indexOf = (manifests: Json[], more: Record<string, Json> = {}) =>
  canonicalBytes({ ...more, schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests })
const listed = (bytes: Buffer) => (JSON.parse(bytes.toString()) as { manifests: Json[] }).manifests

describe('referrersTag', () => {
  it('follows the referrers tag schema (its examples)', () => {
    const a = 'a'.repeat(64)
    expect(referrersTag(`sha256:${a}`)).toBe(`sha256-${a}`)
    expect(referrersTag(`sha512:${'a'.repeat(128)}`)).toBe(`sha512-${a}`)
    expect(
      referrersTag(
        'test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation',
      ),
    ).toBe(
      'test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot',
    )
  })
})

describe('mergeReferrers', () => {
  it('starts an empty list when there is none', () => {
    const merged = mergeReferrers(null, ours, 'test')!
    expect(merged.mediaType).toBe(MEDIA_TYPES.index)
    expect(JSON.parse(merged.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: ours.map(referrerDescriptor),
    })
  })

  it('keeps every entry there, appends ours once each, in canonical JSON; again adds nothing', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { selector: (e) => e.digest }),
        fc.subarray(ours),
        fc.dictionary(fc.string(), json),
        (others, already, more) => {
          const before = [...others, ...already.map(referrerDescriptor)]
          const existing = indexOf(before, more)
          const merged = mergeReferrers(existing, [...ours, ...ours], 'test')
          if (already.length === ours.length) {
            expect(merged).toBeNull()
            return
          }
          const after = listed(merged!.bytes)
          expect(after.slice(0, before.length)).toEqual(before)
          const digests = after.map((m) => (m as { digest: string }).digest)
          expect(new Set(digests).size).toBe(digests.length)
          for (const r of ours) expect(digests).toContain(r.manifest.digest)
          expect(canonicalBytes(JSON.parse(merged!.bytes.toString())).equals(merged!.bytes)).toBe(
            true,
          )
          expect(mergeReferrers(merged!.bytes, ours, 'test')).toBeNull()
        },
      ),
    )
  })

  it('any other bytes: a list, null, or PUBLISH_BAD_RESPONSE, never another error', () => {
    const bytes = fc.oneof(
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc
        .record({ manifests: fc.jsonValue(), schemaVersion: fc.jsonValue() })
        .map((v) => Buffer.from(JSON.stringify({ ...v, mediaType: MEDIA_TYPES.index }))),
      fc.uint8Array().map((b) => Buffer.from(b)),
    )
    fc.assert(
      fc.property(bytes, (existing) => {
        try {
          const merged = mergeReferrers(existing, ours, 'test')
          if (merged !== null) expect(listed(merged.bytes).length).toBeGreaterThan(0)
        } catch (err) {
          expect(err).toBeInstanceOf(PushError)
          expect((err as PushError).code).toBe('PUBLISH_BAD_RESPONSE')
        }
      }),
    )
  })

  it('an image manifest, or numbers that are not integers, are refused', () => {
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, manifests: [] }),
    )
    const fractional = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: [{ digest: `sha256:${'0'.repeat(64)}`, size: 1.5 }],
      }),
    )
    for (const bytes of [manifest, fractional, Buffer.from('not json')]) {
      expect(() => mergeReferrers(bytes, ours, 'test')).toThrow(PushError)
    }
  })
})

type Handler = (req: IncomingMessage, res: ServerResponse) => void
const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

/** A registry that takes every blob and manifest, and answers the referrers tag with `tag`. */
async function registry(tag: Handler) {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    req.resume()
    req.on('end', () => {
      if (req.method === 'HEAD') res.writeHead(200).end()
      else if (req.url!.includes('/manifests/sha256-') && req.method === 'GET') tag(req, res)
      else res.writeHead(201).end()
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const session = new PushSession(new URL(`http://127.0.0.1:${port}`), {
    credentials: null,
    backoffMs: 1,
  })
  return { session, seen }
}

const tagPuts = (seen: string[]) => seen.filter((s) => /^PUT .*\/manifests\/sha256-/.test(s))

describe('pushReferrers against a registry without the referrers API', () => {
  it('a referrers tag that holds another manifest is PUBLISH_BAD_RESPONSE, and left alone', async () => {
    const held = [
      // An image manifest, by its body.
      {
        type: MEDIA_TYPES.manifest,
        body: { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, layers: [] },
      },
      // A Docker manifest list, by its content type alone.
      {
        type: 'application/vnd.docker.distribution.manifest.list.v2+json',
        body: { schemaVersion: 2, manifests: [] },
      },
    ]
    for (const { type, body } of held) {
      const { session, seen } = await registry((_req, res) =>
        res.writeHead(200, { 'content-type': type }).end(JSON.stringify(body)),
      )
      const err = await pushReferrers(session, 'ns/seo', ofIndex).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PushError)
      expect((err as PushError).code).toBe('PUBLISH_BAD_RESPONSE')
      expect(tagPuts(seen)).toEqual([])
    }
  })

  it('a referrers list past the size read is PUBLISH_BAD_RESPONSE, and left alone', async () => {
    const { session, seen } = await registry((_req, res) => {
      // A valid list, one byte too many.
      const entry = { digest: `sha256:${'0'.repeat(64)}`, annotations: { pad: '' } }
      const size = () => indexOf([entry]).length
      entry.annotations.pad = 'x'.repeat(REFERRERS_INDEX_MAX - size() + 1)
      res.writeHead(200, { 'content-type': MEDIA_TYPES.index }).end(indexOf([entry]))
    })
    const err = await pushReferrers(session, 'ns/seo', ofIndex).catch((e: unknown) => e)
    expect((err as PushError).code).toBe('PUBLISH_BAD_RESPONSE')
    expect(tagPuts(seen)).toEqual([])
  })

  it('a referrers list cut short by the registry is PUBLISH_UNREACHABLE, and left alone', async () => {
    const { session, seen } = await registry((_req, res) => {
      res.writeHead(200, { 'content-type': MEDIA_TYPES.index, 'content-length': '4096' })
      res.write('{"schemaVersion":2,')
      setTimeout(() => res.destroy(), 10)
    })
    const err = await pushReferrers(session, 'ns/seo', ofIndex).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PushError)
    expect((err as PushError).code).toBe('PUBLISH_UNREACHABLE')
    expect(tagPuts(seen)).toEqual([])
  })

  it('a 404 starts the list; one PUT of the tag per subject', async () => {
    const { session, seen } = await registry((_req, res) =>
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'),
    )
    const pushed = await pushReferrers(session, 'ns/seo', referrers)
    expect(pushed).toEqual({ indexed: 0, tagsWritten: 1 + image.manifests.length })
    expect(tagPuts(seen)).toHaveLength(1 + image.manifests.length)
  })
})

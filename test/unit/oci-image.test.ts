// The OCI documents of a template version: deterministic bytes, valid per the OCI Image Spec
// (media types, descriptors whose size and digest are those of the bytes they name), and the
// config's diff_id equal to the layer digest (the bundle is an uncompressed layer).
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { canonicalJson } from '../../src/oci/canonical-json.js'
import {
  ANNOTATIONS,
  buildImage,
  type ImageInput,
  MEDIA_TYPES,
  parsePlatforms,
  sourceOf,
} from '../../src/oci/image.js'

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const DIGEST = `sha256:${'ab'.repeat(32)}`
const COMMIT = 'c0ffee'.repeat(6).slice(0, 40)

const input = (over: Partial<ImageInput> = {}): ImageInput => ({
  template: 'seo-agent',
  digest: DIGEST,
  size: 10240,
  commit: COMMIT,
  source: 'https://git.example.com/acme/agent-template-seo',
  platforms: [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ],
  ...over,
})

type Doc = Record<string, unknown> & { mediaType: string; schemaVersion: number }
const parse = (b: Buffer) => JSON.parse(b.toString('utf8')) as Doc

describe('canonical JSON', () => {
  it('sorts keys at every level and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: true } })).toBe(
      '{"a":{"c":true,"d":[1,{"y":"x","z":null}]},"b":1}',
    )
  })

  it('gives the same bytes whatever the key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse())
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj))
        expect(JSON.parse(canonicalJson(obj))).toEqual(obj)
      }),
    )
  })

  it('refuses numbers that are not safe integers', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError)
  })
})

describe('buildImage', () => {
  it('is deterministic: same inputs, same bytes and digests', () => {
    const a = buildImage(input())
    const b = buildImage(input())
    expect(b.index.bytes.equals(a.index.bytes)).toBe(true)
    expect(b.index.digest).toBe(a.index.digest)
    expect(b.manifests.map((m) => m.manifest.digest)).toEqual(
      a.manifests.map((m) => m.manifest.digest),
    )
    // Pinned: a change to these bytes changes every published digest, on purpose only.
    expect(a.manifests[0]!.config.bytes.toString()).toBe(
      `{"architecture":"amd64","config":{"Labels":{"dev.asset-cache.template":"seo-agent","org.opencontainers.image.revision":"${COMMIT}","org.opencontainers.image.source":"https://git.example.com/acme/agent-template-seo","org.opencontainers.image.title":"seo-agent"}},"created":"1970-01-01T00:00:00Z","os":"linux","rootfs":{"diff_ids":["${DIGEST}"],"type":"layers"}}`,
    )
  })

  it('changes the digests when the bundle, the commit or the platforms change', () => {
    const base = buildImage(input()).index.digest
    expect(buildImage(input({ digest: `sha256:${'cd'.repeat(32)}` })).index.digest).not.toBe(base)
    expect(buildImage(input({ commit: 'f'.repeat(40) })).index.digest).not.toBe(base)
    expect(
      buildImage(input({ platforms: [{ os: 'linux', architecture: 'amd64' }] })).index.digest,
    ).not.toBe(base)
  })

  it('is a valid index of valid image manifests whose descriptors match their bytes', () => {
    const image = buildImage(input())
    expect(image.index.digest).toBe(sha(image.index.bytes))
    const index = parse(image.index.bytes) as Doc & {
      manifests: { mediaType: string; digest: string; size: number; platform: unknown }[]
      annotations: Record<string, string>
    }
    expect(index.schemaVersion).toBe(2)
    expect(index.mediaType).toBe(MEDIA_TYPES.index)
    expect(index.annotations[ANNOTATIONS.revision]).toBe(COMMIT)
    expect(index.manifests).toHaveLength(2)
    index.manifests.forEach((d, i) => {
      const m = image.manifests[i]!
      expect(d).toEqual({
        mediaType: MEDIA_TYPES.manifest,
        digest: sha(m.manifest.bytes),
        size: m.manifest.bytes.length,
        platform:
          i === 0
            ? { architecture: 'amd64', os: 'linux' }
            : { architecture: 'arm64', os: 'linux', variant: 'v8' },
      })
      const manifest = parse(m.manifest.bytes) as Doc & {
        config: { mediaType: string; digest: string; size: number }
        layers: {
          mediaType: string
          digest: string
          size: number
          annotations: Record<string, string>
        }[]
        annotations: Record<string, string>
      }
      expect(manifest.schemaVersion).toBe(2)
      expect(manifest.mediaType).toBe(MEDIA_TYPES.manifest)
      expect(manifest.config).toEqual({
        mediaType: MEDIA_TYPES.config,
        digest: sha(m.config.bytes),
        size: m.config.bytes.length,
      })
      expect(manifest.layers).toEqual([
        {
          mediaType: MEDIA_TYPES.layer,
          digest: DIGEST,
          size: 10240,
          annotations: { [ANNOTATIONS.title]: 'seo-agent.tar' },
        },
      ])
      expect(manifest.annotations).toEqual({
        [ANNOTATIONS.template]: 'seo-agent',
        [ANNOTATIONS.title]: 'seo-agent',
        [ANNOTATIONS.source]: 'https://git.example.com/acme/agent-template-seo',
        [ANNOTATIONS.revision]: COMMIT,
      })
      const config = parse(m.config.bytes) as unknown as {
        os: string
        architecture: string
        rootfs: { type: string; diff_ids: string[] }
      }
      expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [DIGEST] })
      expect([config.os, config.architecture]).toEqual(['linux', i === 0 ? 'amd64' : 'arm64'])
    })
  })

  it('leaves out the revision and source it does not have', () => {
    const image = buildImage(input({ commit: null, source: null }))
    const annotations = (parse(image.index.bytes) as { annotations?: Record<string, string> })
      .annotations
    expect(annotations).toEqual({
      [ANNOTATIONS.template]: 'seo-agent',
      [ANNOTATIONS.title]: 'seo-agent',
    })
  })
})

describe('sourceOf and parsePlatforms', () => {
  it('joins GITEA_BASE_URL and the repository, or gives the repository alone', () => {
    expect(sourceOf('https://git.example.com/', 'acme/x')).toBe('https://git.example.com/acme/x')
    expect(sourceOf('https://h/gitea/', 'acme/x')).toBe('https://h/gitea/acme/x')
    expect(sourceOf(null, 'acme/x')).toBe('acme/x')
    expect(sourceOf('https://h/', null)).toBeNull()
  })

  it('parses os/arch[/variant] lists and refuses anything else', () => {
    expect(parsePlatforms('linux/amd64, linux/arm/v7')).toEqual({
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm', variant: 'v7' },
      ],
    })
    for (const bad of [
      '',
      'linux',
      'Linux/amd64',
      'linux/amd64/v1/x',
      'linux/amd64,linux/amd64',
      'linux/../x',
    ]) {
      expect(parsePlatforms(bad), bad).toHaveProperty('error')
    }
  })
})

describe('configuration', () => {
  it('defaults to linux/amd64 and linux/arm64, and takes the source base without a Gitea token', () => {
    const c = loadConfig({ GITEA_BASE_URL: 'https://git.example.com' }, '/tmp')
    expect(c.oci).toEqual({
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
      sourceBase: 'https://git.example.com/',
    })
    expect(
      loadConfig({ ASSET_CACHE_OCI_PLATFORMS: 'linux/riscv64' }, '/tmp').oci.platforms,
    ).toEqual([{ os: 'linux', architecture: 'riscv64' }])
  })

  it('stops on a platform list that does not parse, naming the variable', () => {
    expect(() => loadConfig({ ASSET_CACHE_OCI_PLATFORMS: 'linux' }, '/tmp')).toThrow(
      /ASSET_CACHE_OCI_PLATFORMS/,
    )
  })
})

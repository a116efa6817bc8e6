// Every YAML and JSON file under deploy/ parses; every environment variable any deployment
// file names is one the service reads (src/config.ts ENV_VARS).
import { describe, expect, it } from 'vitest'
import { ENV_VARS } from '../../src/config.js'
import { filesUnder, read, yamlDocs } from './files.js'

const FILES = filesUnder('deploy')

/** ASSET_CACHE_*, GITEA_* and MOLECULE_* names; `GITEA__section__KEY` is Gitea's own config. */
const envNames = (text: string) =>
  [...text.matchAll(/\b(?:ASSET_CACHE|GITEA(?!__)|MOLECULE)_[A-Z0-9_]*[A-Z0-9]\b/g)].map(
    (m) => m[0],
  )

const unknownNames = (text: string) => envNames(text).filter((n) => !ENV_VARS.includes(n))

describe('deploy/', () => {
  it('parses: every YAML document and every JSON file', () => {
    const parsed = FILES.filter((f) => /\.(ya?ml|json)$/.test(f))
    expect(parsed.length).toBeGreaterThanOrEqual(9)
    for (const file of parsed) {
      if (file.endsWith('.json')) expect(() => JSON.parse(read(file)), file).not.toThrow()
      else expect(yamlDocs(read(file), file).length, file).toBeGreaterThan(0)
    }
  })

  it('names only environment variables the service reads', () => {
    const deployment = FILES.filter((f) =>
      /(Dockerfile|compose\.yaml|env\.example|\.service|kubernetes\/.*\.yaml)$/.test(f),
    )
    expect(deployment).toEqual(
      expect.arrayContaining([
        'deploy/Dockerfile',
        'deploy/compose.yaml',
        'deploy/asset-cache.service',
        'deploy/kubernetes/statefulset.yaml',
      ]),
    )
    const named = new Set<string>()
    for (const file of deployment) {
      const text = read(file)
      for (const n of envNames(text)) named.add(n)
      expect(unknownNames(text), file).toEqual([])
    }
    expect(named.size).toBeGreaterThanOrEqual(8)
  })

  it('the check catches a name the service does not read, and skips Gitea settings', () => {
    expect(unknownNames('ENV ASSET_CACHE_DATADIR=/data')).toEqual(['ASSET_CACHE_DATADIR'])
    expect(unknownNames('GITEA_URL: x\nMOLECULE_TOKEN: y')).toEqual(['GITEA_URL', 'MOLECULE_TOKEN'])
    expect(unknownNames('GITEA__webhook__ALLOWED_HOST_LIST: asset-cache')).toEqual([])
    expect(unknownNames('ASSET_CACHE_PORT=8080 GITEA_TOKEN=x')).toEqual([])
  })

  it('yamlDocs refuses a broken document', () => {
    expect(() => yamlDocs('a: [1, 2\nb: 3\n')).toThrow()
    expect(() => yamlDocs('a: 1\n---\na: 1\na: 2\n')).toThrow()
  })
})

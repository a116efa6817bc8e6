// deploy/asset-cache.service against the host install steps of deploy/README.md: every path the
// unit names under /opt/asset-cache (ExecStart, Documentation=, PATH) is one the steps create,
// the version check refuses exactly the Node.js releases package.json's engines refuses, and
// systemd itself reads the unit without a complaint.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectEachBreaks, ROOT, read } from './files.js'
import {
  commandWords,
  type InstallSteps,
  installSteps,
  PREFIX,
  parseUnit,
  type Unit,
} from './systemd-unit.js'

const TEXT = read('deploy/asset-cache.service')
const README = read('deploy/README.md')
const PKG = JSON.parse(read('package.json')) as { files: string[]; engines: { node: string } }

/** Made by the build steps, so not in a checkout. */
const BUILT = ['dist', 'node_modules']

function installProblems(unit: Unit, steps: InstallSteps, files: string[]): string[] {
  const out: string[] = []
  const release = ['package.json', 'README.md', ...files, 'node_modules'].sort()
  if ([...steps.copied].sort().join(' ') !== release.join(' ')) {
    out.push(`copies ${steps.copied.join(' ')}; the release is ${release.join(' ')}`)
  }
  for (const item of steps.copied) {
    if (!BUILT.includes(item) && !existsSync(join(ROOT, item))) out.push(`copies missing ${item}`)
  }
  const values = Object.values(unit).flatMap((keys) => Object.values(keys).flat())
  const named = values.flatMap((v) => [...v.matchAll(/\/opt\/asset-cache\/([^\s:"'()]+)/g)])
  if (named.length === 0) out.push(`the unit names nothing under ${PREFIX}`)
  for (const [, rel] of named) {
    const path = rel!.replace(/\/$/, '')
    const root = path.split('/')[0]!
    if (steps.unpacked.includes(root)) continue
    if (!steps.copied.includes(root)) out.push(`${PREFIX}/${path}: no install step creates it`)
    else if (!BUILT.includes(root) && !existsSync(join(ROOT, path))) {
      out.push(`${PREFIX}/${path}: not in the repository`)
    }
  }
  for (const doc of (unit.Unit?.Documentation ?? []).flatMap((d) => d.split(/\s+/))) {
    if (!doc.startsWith(`file://${PREFIX}/`)) out.push(`Documentation=${doc} is not shipped`)
  }
  if (!unit.Unit?.Documentation?.length) out.push('no Documentation=')
  return out
}

describe('systemd unit and the host install steps', () => {
  const unit = parseUnit(TEXT)
  const steps = installSteps(README)

  it('names under /opt/asset-cache only what the install steps put there', () => {
    expect(steps.copied).toContain('docs')
    expect(steps.unpacked).toEqual(['node'])
    expect(installProblems(unit, steps, PKG.files)).toEqual([])
  })

  it('the check catches each broken rule', () => {
    expectEachBreaks(
      TEXT,
      [
        ['docs/operations.md', 'doc/operations.md'],
        ['docs/configuration.md', 'docs/settings.md'],
        ['file:///opt/asset-cache/docs/operations.md', 'file:///usr/share/doc/asset-cache/ops.md'],
        ['/opt/asset-cache/bin/asset-cache.js', '/opt/asset-cache/cli/asset-cache.js'],
        ['PATH=/opt/asset-cache/node/bin', 'PATH=/opt/asset-cache/nodejs/bin'],
      ],
      (changed) => installProblems(parseUnit(changed), steps, PKG.files),
    )
    const withoutDocs = { ...steps, copied: steps.copied.filter((c) => c !== 'docs') }
    expect(installProblems(unit, withoutDocs, PKG.files)).not.toEqual([])
    expect(installProblems(unit, steps, [...PKG.files, 'schemas'])).not.toEqual([])
  })

  describe('the Node.js version check (ExecStartPre)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asset-cache-unit-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    // Makes the node running the check report another version, as an old install would.
    const preload = join(dir, 'fake-version.cjs')
    writeFileSync(
      preload,
      `const v = process.env.FAKE_NODE_VERSION
Object.defineProperty(process.versions, 'node', { value: v })
Object.defineProperty(process, 'version', { value: 'v' + v })
`,
    )
    const words = commandWords(unit.Service?.ExecStartPre?.[0] ?? '')
    const run = (version?: string) => {
      const args = version ? ['--require', preload] : []
      return spawnSync(process.execPath, [...args, ...words.slice(2)], {
        encoding: 'utf8',
        env: { ...process.env, FAKE_NODE_VERSION: version },
      })
    }

    it('refuses exactly the versions below package.json engines, naming the node found', () => {
      expect(words.slice(0, 3)).toEqual(['/usr/bin/env', 'node', '-e'])
      const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(PKG.engines.node)!.map(Number)
      const tooOld = (v: string) => {
        const [a, b] = v.split('.').map(Number)
        return a! < major! || (a === major && b! < minor!)
      }
      const versions = ['18.19.1', '20.0.0', '20.18.3', '20.19.0', '20.20.2', '21.0.0', '24.1.0']
      expect(versions.filter(tooOld)).toEqual(['18.19.1', '20.0.0', '20.18.3'])
      for (const v of versions) {
        const r = run(v)
        if (tooOld(v)) {
          expect(r.status, v).toBe(2)
          expect(r.stderr.trim().split('\n'), v).toHaveLength(1)
          expect(r.stderr).toContain(`>= ${major}.${minor}`)
          expect(r.stderr).toContain(`v${v}`)
          expect(r.stderr).toContain(process.execPath)
        } else {
          expect({ v, status: r.status, stderr: r.stderr }).toEqual({ v, status: 0, stderr: '' })
        }
      }
    })

    it('passes on the node running these tests', () => {
      expect(run().status).toBe(0)
    })
  })

  it('is read by systemd without an error or a warning (systemd-analyze verify)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asset-cache-unit-'))
    try {
      const file = join(dir, 'asset-cache.service')
      writeFileSync(file, TEXT)
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' })
      expect(r.error, 'systemd-analyze (Debian package systemd)').toBeUndefined()
      const about = (r.stderr + r.stdout).split('\n').filter((l) => l.includes(file))
      expect({ status: r.status, about }).toEqual({ status: 0, about: [] })
      writeFileSync(file, TEXT.replace('\nKillMode=mixed', '\nKillMode=mixed\nKilMode=x'))
      const typo = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' })
      expect(typo.stderr).toContain(`${file}:`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

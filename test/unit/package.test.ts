// The published package: type packages are build-time only, so an install of asset-cache as a
// dependency never pulls them; package-lock.json agrees with package.json.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url)
const read = (file: string) => JSON.parse(readFileSync(new URL(file, ROOT), 'utf8'))

describe('package.json', () => {
  const pkg = read('package.json') as {
    dependencies: Record<string, string>
    devDependencies: Record<string, string>
  }
  const lock = read('package-lock.json') as {
    packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }>
  }

  it('keeps @types/* in devDependencies only', () => {
    expect(Object.keys(pkg.dependencies).filter((n) => n.startsWith('@types/'))).toEqual([])
    expect(Object.keys(pkg.devDependencies)).toEqual(
      expect.arrayContaining(['@types/cli-progress', '@types/picomatch', '@types/node']),
    )
  })

  it('has a lock file that agrees: the same root dependencies, @types/* marked dev', () => {
    expect(lock.packages['']?.dependencies).toEqual(pkg.dependencies)
    const types = Object.entries(lock.packages).filter(([path]) =>
      path.startsWith('node_modules/@types/'),
    )
    expect(types.length).toBeGreaterThan(0)
    for (const [path, entry] of types) expect(entry.dev, path).toBe(true)
  })
})

// `npm run demo` as a new user runs it: it succeeds, names the files the bundle left out, and
// leaves nothing behind in the temporary directory (tsx's own compile cache aside).
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../support/cli.js'

describe('npm run demo', () => {
  it('names the skipped files and removes its temporary directory', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'asset-cache-demo-tmp-'))
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>(
      (resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/demo/demo.ts'], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let out = ''
        child.stdout.on('data', (d) => (out += d))
        child.on('close', (c) => resolve({ code: c, stdout: out }))
      },
    )
    expect(code).toBe(0)
    expect(stdout).toContain('skipped 2 file(s) outside the allowlist: Dockerfile, README.md')
    expect(stdout).toMatch(/removed .*asset-cache-demo-/)
    expect(readdirSync(tmp).filter((e) => !e.startsWith('tsx-'))).toEqual([])
  }, 120_000)
})

// Crash safety: a process killed mid-put leaves no blob, and the next open removes its temp file.
import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ContentStore } from '../../src/store/index.js'
import { filesUnder, openTempStore } from './helpers.js'

const CHILD = fileURLToPath(new URL('./slow-put-child.ts', import.meta.url))

describe('crash safety', () => {
  it('SIGKILL in the middle of a large put leaves no blob; the next open sweeps the temp file', async () => {
    const store = await openTempStore()
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, store.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('close', (_code, signal) => resolve(signal))
    })
    const ready = new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('ready\n')) resolve()
      })
      child.on('close', (code) => reject(new Error(`child exited (${code}) early: ${stderr}`)))
    })
    await ready

    const tmp = join(store.dir, 'tmp')
    const [temp] = await filesUnder(tmp)
    expect(temp).toBeDefined()
    expect((await stat(join(tmp, temp!))).size).toBeGreaterThan(0)

    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    // A partial file sits in tmp/; nothing is visible as a blob.
    expect(await filesUnder(tmp)).toEqual([temp])
    expect(await filesUnder(join(store.dir, 'blobs'))).toEqual([])
    expect(await store.usage()).toEqual({ blobs: 0, bytes: 0 })

    await ContentStore.open(store.dir)
    expect(await filesUnder(tmp)).toEqual([])
  })
})

// One stub server for a test file and a fresh DIR for each test: the hooks every pull suite runs.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { cli } from '../support/cli.js'
import { type StubServer, startStub } from './stub-server.js'

export interface StubSuite {
  stub: StubServer
  /** The directory pulls write into (under `root`, not yet made, when `nested`). */
  dir: string
  /** The temp dir made for the test, removed after it. */
  root: string
}

/**
 * Registers the hooks: the stub starts once, is reset before each test, and each test gets a temp
 * dir named `prefix…`. `nested` puts DIR one level below it (for pulls that create DIR). `each`
 * runs after the reset, before the test.
 */
export function stubSuite(
  prefix: string,
  options: { nested?: boolean; each?: (s: StubSuite) => Promise<void> } = {},
): StubSuite {
  const s = {} as StubSuite
  beforeAll(async () => {
    s.stub = await startStub()
  })
  afterAll(async () => {
    await s.stub.close()
  })
  beforeEach(async () => {
    s.root = await mkdtemp(join(tmpdir(), prefix))
    s.dir = options.nested ? join(s.root, 'ws') : s.root
    s.stub.reset()
    await options.each?.(s)
  })
  afterEach(async () => {
    await rm(s.root, { recursive: true, force: true })
  })
  return s
}

/** One stub server and one temp dir (`root`) for all the tests of a file or describe block. */
export function stubOnce(prefix: string): { stub: StubServer; root: string } {
  const s = {} as { stub: StubServer; root: string }
  beforeAll(async () => {
    s.stub = await startStub()
    s.root = await mkdtemp(join(tmpdir(), prefix))
  })
  afterAll(async () => {
    await s.stub.close()
    await rm(s.root, { recursive: true, force: true })
  })
  return s
}

/**
 * `asset-cache pull ARGS` as a child process (the stub keeps answering meanwhile): this process's
 * environment without its ASSET_CACHE_* variables, plus `set`. `status` is the exit code.
 */
export async function pullCli(
  args: string[],
  set: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('ASSET_CACHE_')) env[name] = value
  }
  const { code, stdout, stderr } = await cli(['pull', ...args], { ...env, ...set })
  return { status: code, stdout, stderr }
}

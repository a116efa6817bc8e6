// A fresh stack for every test of a file: started before each test without a server (the test
// starts one when its faults and variables are in place), stopped after it, servers first.
import type { Config } from '../../src/config.js'
import type { RunningServer } from '../../src/http/server.js'
import type { FakeGitea, GitRepo } from './gitea/index.js'
import { perTest } from './per-test.js'
import { type ServeOptions, type Stack, type StackOptions, startStack } from './stack.js'

export interface StackPerTest {
  /** The running test's stack (throws outside a test). */
  readonly stack: Stack
  readonly gitea: FakeGitea
  /** The first repository of `options.repos`. */
  readonly repo: GitRepo
  /** The in-process server started last (throws before start()). */
  readonly server: RunningServer
  /** That server's configuration. */
  readonly config: Config
  /** Starts an in-process server over the test's stack, `env` added to its environment. */
  start(env?: Record<string, string>, options?: ServeOptions): Promise<RunningServer>
}

/** Registers the hooks that give each test of the file its own stack, its servers in-process. */
export function stackPerTest(options: Omit<StackOptions, 'child' | 'serve'>): StackPerTest {
  const current = perTest(
    () => startStack({ ...options, serve: false }),
    (stack) => stack.stop(),
  )
  return {
    get stack() {
      return current()
    },
    get gitea() {
      return current().gitea
    },
    get repo() {
      return current().repo
    },
    get server() {
      return current().server
    },
    get config() {
      return current().server.runtime.config
    },
    start: async (env = {}, serveOptions = {}) => {
      const started = await current().serve({
        ...serveOptions,
        env: { ...serveOptions.env, ...env },
      })
      return started.server!
    },
  }
}

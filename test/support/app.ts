// An in-process app over a test runtime, built the way `serve` builds it (appDeps), with a silent
// logger unless the test passes its own.
import { createApp } from '../../src/http/app.js'
import { appDeps } from '../../src/http/deps.js'
import type { AppInput } from '../../src/http/env.js'
import { silentLogger } from '../../src/log.js'
import type { Runtime } from '../../src/runtime.js'

export type TestApp = ReturnType<typeof createApp>

/** The app over `rt`'s config, index and store; `extra` adds or overrides inputs (clock, metrics, logger, onEnqueued). */
export function runtimeApp(
  rt: Pick<Runtime, 'config' | 'index' | 'store' | 'now'>,
  extra: Partial<AppInput> = {},
): TestApp {
  return createApp(
    appDeps({
      config: rt.config,
      index: rt.index,
      store: rt.store,
      now: rt.now,
      logger: silentLogger,
      ...extra,
    }),
  )
}

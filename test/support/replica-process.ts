// One replica of a set: `asset-cache serve` (startServerProcess) on a port chosen beforehand,
// since replicas must know each other's addresses (ASSET_CACHE_PEERS) before they listen.
import { startServerProcess } from './server-process.js'

export interface ReplicaProcess {
  url: string
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>
  /** SIGTERM (graceful), and wait for the exit. */
  stop(): Promise<void>
}

/** Starts a replica with `env` (ASSET_CACHE_PORT set), ready once it answers /healthz. */
export async function startReplica(env: Record<string, string>): Promise<ReplicaProcess> {
  const server = await startServerProcess({
    name: `replica on ${env.ASSET_CACHE_PORT}`,
    port: Number(env.ASSET_CACHE_PORT),
    env: {
      HOME: process.env.HOME ?? '/tmp',
      ASSET_CACHE_HOST: '127.0.0.1',
      ASSET_CACHE_LOG_LEVEL: 'warn',
      ASSET_CACHE_RECONCILE_INTERVAL: '1h',
      ASSET_CACHE_GC_INTERVAL: 'off',
      ...env,
    },
  })
  return {
    url: server.url,
    kill: async () => {
      await server.kill('SIGKILL')
    },
    stop: async () => {
      await server.stop()
    },
  }
}

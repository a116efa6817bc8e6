// A set of replicas as real processes (`asset-cache serve`, startReplica), each with its own data
// directory and a port chosen beforehand, all peers of each other over ASSET_CACHE_PEERS and
// sharing one templates manifest; for the replica suite and the boot-storm bench.
import { join } from 'node:path'
import { type ReplicaProcess, startReplica } from './replica-process.js'

export interface ReplicaSetOptions {
  /** Holds each replica's data directory, `data-<i>`. */
  dir: string
  /** One port a replica; each replica names every port as a peer. */
  ports: number[]
  /** The templates manifest (ASSET_CACHE_TEMPLATES) they all read. */
  manifest: string
  gitea: { url: string; token: string }
  readToken: string
  webhookSecret: string
}

export interface ReplicaSet {
  /** `http://127.0.0.1:<port>` of replica i. */
  urls: string[]
  /** The running replicas; null where one was killed or stopped and not started again. */
  replicas: (ReplicaProcess | null)[]
  /** Replica i's environment. */
  env(i: number): Record<string, string>
  /** Starts replica i (again), on its port and data directory. */
  start(i: number): Promise<ReplicaProcess>
  /** Stops every running replica (SIGTERM). */
  stop(): Promise<void>
}

/** Starts every replica of the set at once; resolves when each listens. */
export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  const urls = options.ports.map((p) => `http://127.0.0.1:${p}`)
  const peers = urls.join(',')
  const env = (i: number): Record<string, string> => ({
    ASSET_CACHE_PORT: String(options.ports[i]),
    ASSET_CACHE_DATA_DIR: join(options.dir, `data-${i}`),
    ASSET_CACHE_TEMPLATES: options.manifest,
    ASSET_CACHE_PEERS: peers,
    ASSET_CACHE_READ_TOKENS: options.readToken,
    ASSET_CACHE_WEBHOOK_SECRET: options.webhookSecret,
    GITEA_BASE_URL: options.gitea.url,
    GITEA_TOKEN: options.gitea.token,
  })
  const replicas: (ReplicaProcess | null)[] = options.ports.map(() => null)
  const start = async (i: number) => {
    const replica = await startReplica(env(i))
    replicas[i] = replica
    return replica
  }
  const set: ReplicaSet = {
    urls,
    replicas,
    env,
    start,
    stop: async () => {
      await Promise.all(replicas.map((r) => r?.stop()))
    },
  }
  try {
    await Promise.all(options.ports.map((_, i) => start(i)))
  } catch (error) {
    await set.stop()
    throw error
  }
  return set
}

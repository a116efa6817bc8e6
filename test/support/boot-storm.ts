// A boot storm: `boots` provisioner boots (resolve a template, then download its bundle by digest
// and check the bytes' sha256 against it) made by `concurrency` clients at once; for the replica
// suite and the boot-storm bench.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { type Dispatcher, request } from 'undici'

export interface BootStormOptions {
  template: string
  boots: number
  concurrency: number
  headers: Record<string, string>
  dispatcher?: Dispatcher
  /** Called after each boot, failed or not, with the number of boots done so far. */
  onBoot?: (done: number) => void
}

export interface BootStorm {
  /** Milliseconds of each successful boot. */
  times: number[]
  /** Why each failed boot failed. */
  failures: string[]
  /** Boots made, failed ones included. */
  done: number
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

export async function runBootStorm(base: string, options: BootStormOptions): Promise<BootStorm> {
  const { headers, dispatcher } = options
  const get = async (path: string) => {
    const res = await request(`${base}${path}`, { headers, ...(dispatcher ? { dispatcher } : {}) })
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) }
  }
  const boot = async () => {
    const r = await get(`/v1/templates/${options.template}`)
    if (r.status !== 200) throw new Error(`resolve ${r.status}`)
    const { digest } = JSON.parse(r.body.toString()) as { digest: string }
    const b = await get(`/v1/bundles/${digest}`)
    if (b.status !== 200 || sha256(b.body) !== digest) throw new Error(`bundle ${b.status}`)
  }
  const storm: BootStorm = { times: [], failures: [], done: 0 }
  let next = 0
  const client = async () => {
    while (next < options.boots) {
      next++
      const started = performance.now()
      await boot().then(
        () => storm.times.push(performance.now() - started),
        (err: Error) => storm.failures.push(err.message),
      )
      storm.done++
      options.onBoot?.(storm.done)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, client))
  return storm
}

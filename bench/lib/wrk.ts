// wrk (closed-loop throughput): runs it and parses its summary.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface WrkOptions {
  url: string
  connections: number
  threads: number
  durationS: number
  headers?: Record<string, string>
}

export interface WrkResult {
  requestsPerSecond: number
  requests: number
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number
  raw: string
}

export async function runWrk(binary: string, options: WrkOptions): Promise<WrkResult> {
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const { stdout } = await run(
    binary,
    [
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${options.durationS}s`,
      ...headerArgs,
      options.url,
    ],
    { timeout: (options.durationS + 30) * 1000 },
  )
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)
  const total = /(\d+) requests in/.exec(stdout)
  if (!rps || !total) throw new Error(`could not parse wrk output:\n${stdout}`)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    errors: non2xx + socketErrors,
    raw: stdout,
  }
}

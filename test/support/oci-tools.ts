// Real OCI tools for tests: skopeo and umoci (run to completion) and Debian's docker-registry (CNCF
// distribution 2.8) as a plain registry, with Basic auth, or as a pull-through cache in front of a
// given upstream, on ephemeral ports.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { request } from 'undici'
import { until } from './wait.js'

export const TOOLS = {
  skopeo: '/usr/bin/skopeo',
  umoci: '/usr/bin/umoci',
  registry: '/usr/bin/docker-registry',
}

/** The tools missing from this machine (CI installs them through .ci/run). */
export function missingTools(): string[] {
  return Object.values(TOOLS).filter((path) => !existsSync(path))
}

/** Runs a tool to completion: its stdout, or an error carrying its stderr. */
export function run(file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || err.message}`))
      else resolve(stdout)
    })
  })
}

export interface SkopeoReadOptions {
  /** The manifest as served (`--raw`) rather than skopeo's summary. */
  raw?: boolean
  /** `user:password` for the registry. */
  creds?: string
}

/** `skopeo inspect` or `skopeo list-tags` of an image on a plain-HTTP registry: its stdout. */
export function skopeoRead(
  command: 'inspect' | 'list-tags',
  ref: string,
  options: SkopeoReadOptions = {},
): Promise<string> {
  return run(TOOLS.skopeo, [
    command,
    ...(options.raw ? ['--raw'] : []),
    '--tls-verify=false',
    ...(options.creds ? ['--creds', options.creds] : []),
    ref,
  ])
}

export interface SkopeoCopyOptions {
  srcCreds?: string
  destCreds?: string
  preserveDigests?: boolean
}

/** `skopeo copy` from a plain-HTTP registry to another one (`docker://`) or to a local layout. */
export function skopeoCopy(src: string, dest: string, options: SkopeoCopyOptions = {}) {
  return run(TOOLS.skopeo, [
    'copy',
    ...(options.preserveDigests ? ['--preserve-digests'] : []),
    '--src-tls-verify=false',
    ...(dest.startsWith('docker://') ? ['--dest-tls-verify=false'] : []),
    ...(options.srcCreds ? ['--src-creds', options.srcCreds] : []),
    ...(options.destCreds ? ['--dest-creds', options.destCreds] : []),
    src,
    dest,
  ])
}

/** A port free at the time of asking (the registry takes an address, not port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export interface Registry {
  url: string
  /** `127.0.0.1:PORT`, for image references. */
  host: string
  stop(): Promise<void>
}

export interface RegistryOptions {
  /** Run as a pull-through cache of this upstream, with these upstream credentials. */
  proxy?: { upstream: string; username?: string; password?: string }
  /** Require Basic credentials: `user:<bcrypt hash>` lines of an htpasswd file. */
  htpasswd?: string
  /** Listen on this port (default: a free one). */
  port?: number
}

/** Starts docker-registry on an ephemeral port, with its config and storage in `dir`. */
export async function startRegistry(dir: string, options: RegistryOptions = {}): Promise<Registry> {
  const port = options.port ?? (await freePort())
  let yaml =
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n` +
    `http:\n  addr: 127.0.0.1:${port}\n`
  const { proxy, htpasswd } = options
  if (proxy) {
    yaml += `proxy:\n  remoteurl: ${proxy.upstream}\n`
    if (proxy.username) yaml += `  username: ${proxy.username}\n  password: ${proxy.password}\n`
  }
  if (htpasswd) {
    await writeFile(join(dir, 'htpasswd'), `${htpasswd}\n`)
    yaml += `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n`
  }
  const config = join(dir, 'registry.yml')
  await writeFile(config, yaml)
  const child: ChildProcess = spawn(TOOLS.registry, ['serve', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`)
        try {
          const res = await request(`${url}/v2/`)
          await res.body.dump()
          return res.statusCode === 200 || res.statusCode === 401
        } catch {
          return false
        }
      },
      { timeoutMs: 20_000 },
    )
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export interface TreeFile {
  path: string
  size: number
  sha256: string
  mode: number
}

/** Every regular file under `root` (paths relative, `/`-separated), sorted by path. */
export async function filesUnder(root: string, prefix = ''): Promise<TreeFile[]> {
  const out: TreeFile[] = []
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...(await filesUnder(root, rel)))
    else if (!entry.isFile())
      out.push({ path: rel, size: -1, sha256: 'not a regular file', mode: 0 })
    else {
      const full = join(root, rel)
      const bytes = await readFile(full)
      const { mode } = await stat(full)
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      out.push({ path: rel, size: bytes.length, sha256, mode: mode & 0o7777 })
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

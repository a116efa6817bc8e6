// Debian's nginx in front of replicas, configured from deploy/nginx/asset-cache.conf itself: only
// the upstream servers, the listen address and the cache and log paths are rewritten (into a temp
// prefix), so the tests and the bench exercise the example operators copy.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const NGINX_EXAMPLE = fileURLToPath(
  new URL('../../deploy/nginx/asset-cache.conf', import.meta.url),
)

export interface NginxFront {
  url: string
  child: ChildProcess
  errorLog: string
  stop(): Promise<void>
}

function rewrite(text: string, from: RegExp, to: string, what: string): string {
  if (!from.test(text)) throw new Error(`${NGINX_EXAMPLE}: no ${what} to rewrite`)
  return text.replace(from, to)
}

/** The example's server block for `upstreams` (`host:port`), listening on `port`, files under `dir`. */
export function frontConfig(dir: string, port: number, upstreams: string[]): string {
  let conf = readFileSync(NGINX_EXAMPLE, 'utf8')
  const server = /^(\s*)server \S+:\d+( [^;\n]*)?;\n/m.exec(conf)
  if (!server) throw new Error(`${NGINX_EXAMPLE}: no upstream server line`)
  const lines = upstreams.map((u) => `${server[1]}server ${u}${server[2] ?? ''};\n`).join('')
  conf = rewrite(conf, /(^\s*server \S+:\d+( [^;\n]*)?;\n)+/m, lines, 'upstream servers')
  conf = rewrite(
    conf,
    /proxy_cache_path \S+/,
    `proxy_cache_path ${join(dir, 'cache')}`,
    'cache path',
  )
  conf = rewrite(conf, /access_log \S+/, `access_log ${join(dir, 'access.log')}`, 'access log')
  conf = rewrite(conf, /listen \d+;/, `listen 127.0.0.1:${port};`, 'listen')
  return conf
}

const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

export async function startNginxFront(
  dir: string,
  port: number,
  upstreams: string[],
): Promise<NginxFront> {
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'cache']) {
    mkdirSync(join(dir, sub), { recursive: true })
  }
  const errorLog = join(dir, 'error.log')
  writeFileSync(join(dir, 'asset-cache.conf'), frontConfig(dir, port, upstreams))
  const main = `
daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 1024; }
http {
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include ${join(dir, 'asset-cache.conf')};
}
`
  const confFile = join(dir, 'nginx.conf')
  writeFileSync(confFile, main)
  const child = spawn('nginx', ['-e', errorLog, '-p', dir, '-c', confFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const deadline = Date.now() + 15_000
  while (!(await accepting(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`)
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${stderr}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    errorLog,
    stop: async () => {
      if (child.exitCode !== null) return
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGQUIT')
      await gone
    },
  }
}

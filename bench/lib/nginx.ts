// nginx as the reference static server: one worker, sendfile on, access_log off, serving given
// bytes at given paths with given headers from a temp root, on an ephemeral port.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { request } from 'undici'
import { terminate } from '../../test/support/server-process.js'
import { until } from '../../test/support/wait.js'
import { freePort } from './proc.js'

export interface StaticFile {
  /** URL path, e.g. `/v1/bundles/sha256:…`. */
  path: string
  body: Buffer
  contentType: string
  /** Extra response headers (Content-Length, Last-Modified, ETag and Accept-Ranges are nginx's). */
  headers?: Record<string, string>
}

export interface Nginx {
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

const quote = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`

export async function startNginx(binary: string, dir: string, files: StaticFile[]): Promise<Nginx> {
  const root = join(dir, 'root')
  for (const file of files) {
    const target = join(root, file.path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, file.body)
  }
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, sub), { recursive: true })
  const port = await freePort()
  const locations = files
    .map((file) => {
      const headers = Object.entries(file.headers ?? {})
        .map(([name, value]) => `      add_header ${name} ${quote(value)} always;`)
        .join('\n')
      return `    location = ${quote(file.path)} {\n      default_type ${quote(file.contentType)};\n${headers}\n    }`
    })
    .join('\n')
  const conf = `
daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root root;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  types { }
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 10000000;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
${locations}
  }
}
`
  const confFile = join(dir, 'nginx.conf')
  writeFileSync(confFile, conf)
  const child = spawn(binary, ['-e', join(dir, 'error.log'), '-p', dir, '-c', confFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const url = `http://127.0.0.1:${port}`
  const probe = files[0]?.path ?? '/'
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`)
      try {
        const res = await request(`${url}${probe}`)
        await res.body.dump()
        return res.statusCode === 200
      } catch {
        return false
      }
    },
    { what: `nginx on ${url}`, timeoutMs: 60_000, everyMs: 20 },
  )
  return {
    url,
    child,
    stop: async () => {
      await terminate(child, 5_000)
    },
  }
}

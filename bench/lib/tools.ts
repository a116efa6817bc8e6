// External tools the reference rows need. Nothing is installed: a missing tool skips its rows.
import { accessSync, constants } from 'node:fs'

const CANDIDATES: Record<'nginx' | 'wrk', string[]> = {
  nginx: ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx'],
  wrk: ['/usr/bin/wrk', '/usr/local/bin/wrk'],
}

function which(name: 'nginx' | 'wrk'): string | null {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean)
  for (const path of [...dirs.map((d) => `${d}/${name}`), ...CANDIDATES[name]]) {
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return null
}

export interface Tools {
  nginx: string | null
  wrk: string | null
}

export function findTools(): Tools {
  return { nginx: which('nginx'), wrk: which('wrk') }
}

export const INSTALL_HINT = 'apt-get install nginx wrk'

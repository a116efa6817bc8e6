// deploy/Dockerfile: node:20-slim stages, COPY sources that exist in the build context (the
// repository root) and are not ignored, a non-root user, a /healthz HEALTHCHECK, `serve`.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectEachBreaks, ROOT, read } from './files.js'

interface Instruction {
  op: string
  args: string
}

/** Instructions in order: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)
  return lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l)!
      return { op: m[1]!.toUpperCase(), args: m[2]! }
    })
}

/** COPY/ADD sources taken from the build context (not `--from=` another stage). */
function contextSources(instructions: Instruction[]): string[] {
  return instructions
    .filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !/--from=/.test(i.args))
    .flatMap((i) => {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'))
      return words.slice(0, -1)
    })
}

const ignored = (patterns: string[], path: string) =>
  patterns.some((p) => path === p || path.startsWith(`${p}/`) || path.split('/')[0] === p)

function problems(dockerfile: string, dockerignore: string): string[] {
  const out: string[] = []
  const ins = parseDockerfile(dockerfile)
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const froms = ins.filter((i) => i.op === 'FROM')
  if (froms.length < 2) out.push('not multi-stage')
  for (const f of froms) {
    if (f.args.split(/\s+/)[0] !== 'node:20-slim') out.push(`FROM ${f.args}`)
  }
  for (const src of contextSources(ins)) {
    if (!existsSync(join(ROOT, src))) out.push(`COPY ${src}: not in the build context`)
    else if (ignored(patterns, src.replace(/^\.\//, ''))) out.push(`COPY ${src}: dockerignored`)
  }
  const runtime = ins.slice(ins.lastIndexOf(froms.at(-1)!))
  const copied = runtime
    .filter((i) => i.op === 'COPY')
    .map((i) => i.args.split(/\s+/).at(-1)!.replace(/^\.\//, '').replace(/\/$/, ''))
  for (const need of ['package.json', 'node_modules', 'dist', 'bin', 'migrations']) {
    if (!copied.includes(need)) out.push(`runtime stage does not copy ${need}`)
  }
  const build = ins.slice(0, ins.lastIndexOf(froms.at(-1)!)).map((i) => i.args)
  for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev', 'python3 make g++']) {
    if (!build.some((a) => a.includes(step))) out.push(`build stage lacks "${step}"`)
  }
  const user = runtime
    .filter((i) => i.op === 'USER')
    .at(-1)
    ?.args.split(':')[0]
  if (!user || user === 'root' || user === '0') out.push(`USER ${user}`)
  const health = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? ''
  if (!/\/healthz\b/.test(health)) out.push('HEALTHCHECK does not ask /healthz')
  const exec = (op: string) => {
    const args = runtime.find((i) => i.op === op)?.args
    return args ? (JSON.parse(args) as string[]) : null
  }
  if (JSON.stringify(exec('ENTRYPOINT')) !== '["node","bin/asset-cache.js"]') out.push('ENTRYPOINT')
  if (JSON.stringify(exec('CMD')) !== '["serve"]') out.push('CMD')
  const env = runtime
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ')
  if (!/\bASSET_CACHE_DATA_DIR=\/data\b/.test(env)) out.push('ASSET_CACHE_DATA_DIR')
  if (!/\bASSET_CACHE_HOST=0\.0\.0\.0\b/.test(env)) out.push('ASSET_CACHE_HOST')
  if (!runtime.some((i) => i.op === 'VOLUME' && i.args.split(/\s+/).includes('/data'))) {
    out.push('VOLUME /data')
  }
  if (!runtime.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes('8080'))) {
    out.push('EXPOSE 8080')
  }
  return out
}

const DOCKERFILE = read('deploy/Dockerfile')
const IGNORE = read('deploy/Dockerfile.dockerignore')

describe('Dockerfile', () => {
  it('builds on node:20-slim, copies what exists, runs serve as a non-root user', () => {
    expect(problems(DOCKERFILE, IGNORE)).toEqual([])
  })

  it('runs a command the CLI has, from a file the package ships', () => {
    expect(read('src/main.ts')).toContain(".command('serve')")
    expect(existsSync(join(ROOT, 'bin/asset-cache.js'))).toBe(true)
  })

  it('keeps local state and dependencies out of the build context', () => {
    const patterns = IGNORE.split('\n').map((l) => l.trim())
    for (const p of ['node_modules', 'data', 'dist', 'test-artifacts', '.git']) {
      expect(patterns).toContain(p)
    }
  })

  it('the check catches each broken rule', () => {
    expectEachBreaks(
      DOCKERFILE,
      [
        ['FROM node:20-slim\n', 'FROM node:22\n'],
        ['COPY bin ./bin', 'COPY scripts ./bin'],
        ['COPY migrations ./migrations', 'COPY dist ./migrations'],
        ['USER 1000:1000', 'USER root'],
        ["/healthz').then", "/readyz').then"],
        ['CMD ["serve"]', 'CMD ["start"]'],
        ['npm prune --omit=dev', 'true'],
        ['COPY --from=build /app/node_modules ./node_modules', ''],
      ],
      (changed) => problems(changed, IGNORE),
    )
    expect(problems(DOCKERFILE, `${IGNORE}\nmigrations\n`)).not.toEqual([])
  })
})

// Child process of fuzz-archive.test.ts: runs cases [from, to) of a fuzz run through canonicalize()
// and reports each outcome over IPC. Started with a V8 heap limit; the parent kills it past a hard
// bound per case. argv: corpus.json spoolDir fuzzSeed from to caseTimeoutMs.
// A "crash" is anything that is not a RejectError with a listed code (including an uncaught
// exception or unhandled rejection while the case runs); "timeout" is the per-case signal firing.
import { readFileSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { canonicalize, readBundle } from '../../src/bundle/index.js'
import { REJECT_CODES, RejectError } from '../../src/errors.js'
import { makeCase, type Seed } from './fuzz-mutators.js'

export type CaseOutcome = 'ready' | 'rejected' | 'crash' | 'timeout'

export type ChildMessage =
  | {
      type: 'case'
      index: number
      outcome: CaseOutcome
      code?: string
      detail?: string
      ms: number
      leak?: boolean
    }
  | { type: 'rss'; hwm: number }
  | { type: 'done'; hwm: number }

export interface CorpusFile {
  seeds: { name: string; tar: string; gz?: string; commit?: string; root: string }[]
}

const [corpusPath, spoolDir, seedArg, fromArg, toArg, timeoutArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
]
const fuzzSeed = Number(seedArg)
const from = Number(fromArg)
const to = Number(toArg)
const timeoutMs = Number(timeoutArg)

const send = (msg: ChildMessage) =>
  new Promise<void>((resolve) => {
    process.send!(msg, () => resolve())
  })

/** Peak resident set size in bytes, from /proc/self/status (VmHWM, in kB). */
export function vmHwm(status = readFileSync('/proc/self/status', 'utf8')): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
  return kb ? Number(kb) * 1024 : 0
}

let current = -1
const started = performance.now()
const fatal = (kind: string) => (err: unknown) => {
  const detail = `${kind}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`
  process.send!(
    { type: 'case', index: current, outcome: 'crash', detail, ms: performance.now() - started },
    () => process.exit(70),
  )
}
process.on('uncaughtException', fatal('uncaughtException'))
process.on('unhandledRejection', fatal('unhandledRejection'))

const corpus = JSON.parse(readFileSync(corpusPath!, 'utf8')) as CorpusFile
const seeds: Seed[] = corpus.seeds.map((s) => ({
  name: s.name,
  root: s.root,
  tar: Buffer.from(s.tar, 'base64'),
  ...(s.gz ? { gz: Buffer.from(s.gz, 'base64') } : {}),
  ...(s.commit ? { commit: s.commit } : {}),
}))

function chunks(bytes: Buffer, size: number): Buffer[] {
  if (size === 0 || bytes.length === 0) return [bytes]
  const out: Buffer[] = []
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size))
  return out
}

/** A ready bundle must be a canonical tar that reads back to exactly its manifest. */
async function checkReady(
  bundle: Awaited<ReturnType<typeof canonicalize>>,
): Promise<string | null> {
  const tar = Buffer.concat(await bundle.stream().toArray())
  if (tar.length !== bundle.size) return `size ${bundle.size} but ${tar.length} bytes streamed`
  const read = await readBundle(Readable.from([tar]), {
    onFile: async (_f, body) => void body.resume(),
  })
  const want = JSON.stringify(bundle.files)
  const got = JSON.stringify(read)
  if (want !== got) return `manifest ${want} but the tar reads back as ${got}`
  if (!bundle.files.some((f) => f.path === 'config.yaml')) return 'ready without config.yaml'
  return null
}

/** FUZZ_INJECT=kind:index,… makes case `index` fail on purpose, to check the harness sees it. */
const inject = new Map(
  (process.env.FUZZ_INJECT ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => [Number(s.split(':')[1]), s.split(':')[0]!] as const),
)

async function injected(kind: string): Promise<never> {
  if (kind === 'throw') throw new TypeError('injected')
  if (kind === 'exit') process.exit(3)
  if (kind === 'uncaught')
    setImmediate(() => {
      throw new Error('injected uncaught')
    })
  if (kind === 'oom') {
    const hog: number[][] = [] // JS heap, so the V8 limit (not the machine) stops it
    for (;;) hog.push(new Array(1_000_000).fill(1.5))
  }
  return new Promise<never>(() => {
    if (kind === 'spin') for (;;);
  })
}

async function runCase(index: number): Promise<ChildMessage> {
  const fault = inject.get(index)
  const c = makeCase(seeds, fuzzSeed, index)
  const signal = AbortSignal.timeout(timeoutMs)
  const t0 = performance.now()
  let result: Extract<ChildMessage, { type: 'case' }>
  try {
    if (fault) await injected(fault)
    const bundle = await canonicalize(Readable.from(chunks(c.bytes, c.chunk)), {
      spoolDir,
      signal,
      ...(c.expectedCommit ? { expectedCommit: c.expectedCommit } : {}),
      ...(c.limits ? { limits: c.limits } : {}),
    })
    try {
      const problem = await checkReady(bundle)
      result = problem
        ? { type: 'case', index, outcome: 'crash', detail: `bad bundle: ${problem}`, ms: 0 }
        : { type: 'case', index, outcome: 'ready', ms: 0 }
    } finally {
      await bundle.dispose()
    }
  } catch (err) {
    if (err instanceof RejectError && (REJECT_CODES as readonly string[]).includes(err.code)) {
      result = { type: 'case', index, outcome: 'rejected', code: err.code, ms: 0 }
    } else if (signal.aborted && err === signal.reason) {
      result = { type: 'case', index, outcome: 'timeout', ms: 0 }
    } else {
      const e = err as Error
      const detail = `${e?.name}: ${e?.message} (${(e as { code?: string })?.code ?? 'no code'})`
      result = { type: 'case', index, outcome: 'crash', detail, ms: 0 }
    }
  }
  result.ms = performance.now() - t0
  const left = await readdir(spoolDir!)
  if (left.length > 0) {
    result.leak = true
    await Promise.all(left.map((f) => rm(join(spoolDir!, f), { force: true })))
  }
  return result
}

for (let i = from; i < to; i++) {
  current = i
  await send(await runCase(i))
  if (i % 100 === 0) await send({ type: 'rss', hwm: vmHwm() })
}
await send({ type: 'done', hwm: vmHwm() })
process.disconnect()

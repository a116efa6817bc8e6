// Archive fuzz: mutated `git archive` output and hand-made hostile archives go through canonicalize()
// in a child process with a V8 heap limit. Every case must end ready (with a canonical tar that
// reads back to its manifest) or rejected with a listed code: no crash, no hang, no spool file
// left, peak RSS bounded. Seeded (FUZZ_SEED overrides); figures go to
// test-artifacts/reliability/fuzz-archive.json, failing cases to fuzz-archive-failures/.
import { type ChildProcess, fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { tempDir } from '../bundle/helpers/run.js'
import {
  COMMIT,
  CONFIG,
  dir,
  file,
  header,
  longName,
  pax,
  symlink,
  tarOf,
  templateTar,
} from '../bundle/helpers/tar.js'
import { archive, commitTree } from '../support/git.js'
import type { ChildMessage, CorpusFile } from './fuzz-archive-child.js'
import { makeCase, type Seed } from './fuzz-mutators.js'
import { FULL, pick } from './mode.js'

const MIB = 1024 * 1024
const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed_a4c1
const MUTATED = pick(600, 12_000)
/** V8 heap limit of the child. */
const HEAP_MIB = 128
/** Per-case AbortSignal inside the child. */
const CASE_TIMEOUT_MS = 5_000
/** No message from the child for this long: the parent kills it and counts a hang. */
const HARD_BOUND_MS = 15_000
/** Peak RSS of the child (tsx + the app code + fuzzing). */
const RSS_BOUND = 320 * MIB
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'reliability')

// A real template, archived by git: kept files, a long (pax) path, skipped files and a skipped link.
const TREE = {
  'config.yaml': 'name: fuzz\nmodel: small\n',
  'prompts/intro.md': '# Intro\nHello.\n',
  'prompts/nested/deep/step.md': 'step\n',
  [`prompts/${'p'.repeat(117)}.md`]: 'pax path\n',
  'agent-skills/s/SKILL.md': 'skill\n',
  'agent-skills/s/run.sh': { content: '#!/bin/sh\necho run\n', executable: true as const },
  Dockerfile: 'FROM scratch\n',
  'README.md': 'readme\n',
  'src/index.ts': 'export {}\n',
  node_modules: { symlink: '/usr/lib/node_modules' },
}

let work: string
let seeds: Seed[]
let corpusPath: string

/** Hand-made archives, each hostile in one way (or valid, with pax and long names to mutate). */
function hostileSeeds(): Seed[] {
  const r = 'tpl'
  const seed = (name: string, ...entries: Buffer[]): Seed => ({
    name,
    tar: templateTar(entries),
    commit: COMMIT,
    root: r,
  })
  return [
    seed('valid-handmade', file(`${r}/prompts/a.md`, 'a'), dir(`${r}/agent-skills/`)),
    seed(
      'valid-pax-longname',
      pax([['path', `${r}/prompts/${'q'.repeat(150)}.md`]]),
      file(`${r}/prompts/short`, 'pax'),
      longName(`${r}/agent-skills/${'l'.repeat(130)}.md`),
      file('././@LongLink', 'gnu'),
    ),
    seed('traversal', file(`${r}/../../etc/passwd`, 'root:x:0:0')),
    seed('symlink-kept', symlink(`${r}/prompts/link.md`, '../../../etc/passwd')),
    seed(
      'hardlink',
      header({ name: `${r}/prompts/h.md`, typeflag: '1', linkname: `${r}/config.yaml` }),
    ),
    seed(
      'pax-key',
      pax([['SCHILY.xattr.security.capability', 'x']]),
      file(`${r}/prompts/x.md`, 'x'),
    ),
    seed('pax-size', pax([['size', '2']]), file(`${r}/prompts/x.md`, 'x')),
    seed('huge-declared', header({ name: `${r}/prompts/huge.bin`, size: 0o77777777777 })),
    seed(
      'base256-size',
      header({
        name: `${r}/prompts/b.bin`,
        sizeField: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]),
      }),
      Buffer.alloc(512, 0x41),
    ),
    seed('git-dir', file(`${r}/.git/config`, '[core]\n')),
    seed('duplicate', file(`${r}/prompts/a.md`, 'a'), file(`${r}/prompts/a.md`, 'b')),
    seed('outside-root', file('elsewhere/prompts/a.md', 'a')),
    {
      name: 'global-key',
      tar: tarOf(
        pax(
          [
            ['comment', COMMIT],
            ['path', 'x'],
          ],
          'g',
        ),
        dir(`${r}/`),
        file(`${r}/config.yaml`, CONFIG),
      ),
      commit: COMMIT,
      root: r,
    },
  ]
}

beforeAll(async () => {
  work = await tempDir('fuzz-archive-')
  const repo = join(work, 'repo')
  await mkdir(repo)
  const commit = await commitTree(repo, TREE)
  const root = 'agent-template-fuzz'
  seeds = [
    {
      name: 'git-archive',
      tar: await archive(repo, root, 'tar'),
      gz: await archive(repo, root),
      commit,
      root,
    },
    ...hostileSeeds(),
  ]
  corpusPath = join(work, 'corpus.json')
  const corpus: CorpusFile = {
    seeds: seeds.map((s) => ({
      name: s.name,
      root: s.root,
      tar: s.tar.toString('base64'),
      ...(s.gz ? { gz: s.gz.toString('base64') } : {}),
      ...(s.commit ? { commit: s.commit } : {}),
    })),
  }
  await writeFile(corpusPath, JSON.stringify(corpus))
  await mkdir(join(work, 'spool'))
}, 60_000)
afterAll(() => rm(work, { recursive: true, force: true }))

interface Failure {
  index: number
  kind: 'crash' | 'hang' | 'leak'
  seed: string
  ops: string[]
  detail: string
  reproducer?: string
}

interface Summary {
  seed: number
  mode: 'quick' | 'full'
  cases: number
  ready: number
  rejected: number
  codes: Record<string, number>
  crashes: number
  hangs: number
  spoolLeaks: number
  childRestarts: number
  peakRssBytes: number
  heapLimitMiB: number
  slowestCaseMs: number
  seconds: number
  failures: Failure[]
}

const readHwm = (pid: number) => {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Number(kb) * 1024 : 0
  } catch {
    return 0
  }
}

/** Runs cases [from, total) in children, restarting after a crash or hang, until all are done. */
async function runAll(total: number, onMessage: (m: ChildMessage) => void) {
  const childPath = fileURLToPath(new URL('./fuzz-archive-child.ts', import.meta.url))
  const lost: { index: number; kind: 'crash' | 'hang'; detail: string }[] = []
  let next = 0
  let restarts = 0
  let peak = 0
  while (next < total && restarts < 50) {
    const from = next
    const proc: ChildProcess = fork(
      childPath,
      [
        corpusPath,
        join(work, 'spool'),
        String(FUZZ_SEED),
        String(from),
        String(total),
        String(CASE_TIMEOUT_MS),
      ],
      {
        execArgv: [`--max-old-space-size=${HEAP_MIB}`, '--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      },
    )
    let stderr = ''
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    let last = performance.now()
    let done = false
    let hung = false
    let crashedInChild = false
    proc.on('message', (m: ChildMessage) => {
      last = performance.now()
      if (m.type === 'case') {
        next = m.index + 1
        if (m.outcome === 'crash' && m.detail?.startsWith('uncaught')) crashedInChild = true
        if (m.outcome === 'crash' && m.detail?.startsWith('unhandled')) crashedInChild = true
      }
      if (m.type === 'rss' || m.type === 'done') peak = Math.max(peak, m.hwm)
      if (m.type === 'done') done = true
      onMessage(m)
    })
    const watchdog = setInterval(() => {
      peak = Math.max(peak, readHwm(proc.pid!))
      if (performance.now() - last > HARD_BOUND_MS) {
        hung = true
        proc.kill('SIGKILL')
      }
    }, 200)
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    )
    clearInterval(watchdog)
    if (done) break
    restarts += 1
    if (hung) lost.push({ index: next, kind: 'hang', detail: `no answer in ${HARD_BOUND_MS} ms` })
    else if (exit.code === 13) {
      // Node's exit code for a top-level await that can never settle: the case stalled with
      // nothing left to run (a pipeline deadlock).
      lost.push({ index: next, kind: 'hang', detail: 'case never settled (exit 13)' })
    } else if (!crashedInChild) {
      const detail = `child exited (code ${exit.code}, signal ${exit.signal}): ${stderr.slice(-1000)}`
      lost.push({ index: next, kind: 'crash', detail })
    }
    // The case that killed the child is done; the next child starts after it.
    next = crashedInChild ? next : next + 1
  }
  return { lost, restarts, peak, complete: next >= total }
}

it(
  `canonicalizes ${MUTATED} mutated archives without a crash, hang or leak`,
  async () => {
    const started = performance.now()
    const total = seeds.length + MUTATED
    const codes: Record<string, number> = {}
    const failures: Failure[] = []
    const counted = new Set<number>()
    let ready = 0
    let rejected = 0
    let slowest = 0
    const fail = (index: number, kind: Failure['kind'], detail: string) => {
      const c = makeCase(seeds, FUZZ_SEED, index)
      failures.push({ index, kind, seed: c.seed, ops: c.ops, detail })
    }
    const { lost, restarts, peak, complete } = await runAll(total, (m) => {
      if (m.type !== 'case') return
      counted.add(m.index)
      slowest = Math.max(slowest, m.ms)
      if (m.leak) fail(m.index, 'leak', 'spool file left behind')
      if (m.outcome === 'ready') ready += 1
      else if (m.outcome === 'rejected') {
        rejected += 1
        codes[m.code!] = (codes[m.code!] ?? 0) + 1
      } else if (m.outcome === 'timeout')
        fail(m.index, 'hang', `no result in ${CASE_TIMEOUT_MS} ms`)
      else fail(m.index, 'crash', m.detail ?? 'crash')
    })
    for (const l of lost) {
      counted.add(l.index)
      fail(l.index, l.kind, l.detail)
    }

    if (failures.length > 0) {
      const dirPath = join(ARTIFACTS, 'fuzz-archive-failures')
      await mkdir(dirPath, { recursive: true })
      for (const f of failures.slice(0, 50)) {
        const c = makeCase(seeds, FUZZ_SEED, f.index)
        f.reproducer = join(dirPath, `seed-${FUZZ_SEED}-case-${f.index}.tar.gz`)
        await writeFile(f.reproducer, c.bytes)
      }
    }
    const summary: Summary = {
      seed: FUZZ_SEED,
      mode: FULL ? 'full' : 'quick',
      cases: counted.size,
      ready,
      rejected,
      codes: Object.fromEntries(Object.entries(codes).sort(([, a], [, b]) => b - a)),
      crashes: failures.filter((f) => f.kind === 'crash').length,
      hangs: failures.filter((f) => f.kind === 'hang').length,
      spoolLeaks: failures.filter((f) => f.kind === 'leak').length,
      childRestarts: restarts,
      peakRssBytes: peak,
      heapLimitMiB: HEAP_MIB,
      slowestCaseMs: Math.round(slowest),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      failures,
    }
    await mkdir(ARTIFACTS, { recursive: true })
    await writeFile(join(ARTIFACTS, 'fuzz-archive.json'), `${JSON.stringify(summary, null, 2)}\n`)
    const top = Object.entries(summary.codes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    console.log(
      `fuzz-archive seed=${FUZZ_SEED} mode=${summary.mode} cases=${summary.cases} ready=${ready} ` +
        `rejected=${rejected} crashes=${summary.crashes} hangs=${summary.hangs} ` +
        `leaks=${summary.spoolLeaks} peakRSS=${(peak / MIB).toFixed(1)}MiB ` +
        `slowest=${summary.slowestCaseMs}ms time=${summary.seconds}s codes: ${top}`,
    )
    for (const f of failures.slice(0, 10)) console.log('fuzz-archive failure', JSON.stringify(f))

    expect(failures).toEqual([])
    expect(complete).toBe(true)
    expect(summary.cases).toBe(total)
    expect(ready + rejected).toBe(total)
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThan(RSS_BOUND)
    // The unmutated git archive is accepted: the fuzz starts from something real.
    expect(ready).toBeGreaterThan(0)
  },
  pick(90_000, 900_000),
)

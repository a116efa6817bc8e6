// Property: whatever text a server or an archive supplies (escape sequences, C0/C1 controls, bidi
// controls, separators, lone surrogates), what the CLI prints holds no control character but the
// newlines it writes itself, and no format character (every bidi control is one).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pinCommand, refreshCommand, unpinCommand } from '../../src/cli/admin.js'
import { printable, printableJson } from '../../src/cli/format.js'
import { ingestCommand, openArchive } from '../../src/cli/ingest.js'
import { lsCommand } from '../../src/cli/ls.js'
import { pullCommand } from '../../src/cli/pull.js'
import { testRuntime } from '../support/runtime.js'
import { capture, type Printed } from './capture.js'
import { publish, rawTar, TOKEN } from './stub-server.js'
import { stubOnce } from './stub-suite.js'

/** Any control (C0, DEL, C1), format (bidi, zero-width), separator or lone surrogate. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

const FRAGMENTS = [
  '\u001b[2J',
  '\u001b[31;1m',
  '\u001b]8;;http://evil.example/\u0007',
  '\u001b]0;title\u001b\\',
  '\u001bP+q\u001b\\',
  '\u009b6n',
  '\u009d52;c;AAAA\u009c',
  '\u001b',
  '\u202e',
  '\u2066',
  '\u200f',
  '\u061c',
  '\u200b',
  '\ufeff',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u0007',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\u{e0041}',
  'plain',
  'é',
  '🙂',
  ' ',
]

/** Hostile text: random code points (lone surrogates included) mixed with known-bad fragments. */
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary', maxLength: 8 })), {
    maxLength: 24,
  })
  .map((parts) => parts.join(''))

/** Every line is clean, and the text ends with the newline the CLI wrote. */
function expectClean(text: string): void {
  if (text === '') return
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    expect(UNSAFE.test(line), JSON.stringify(line)).toBe(false)
    expect(BIDI.test(line)).toBe(false)
  }
}

function expectOneLine(p: Printed): void {
  expectClean(p.stdout)
  expectClean(p.stderr)
  expect((p.stdout + p.stderr).split('\n')).toHaveLength(2)
}

describe('printable', () => {
  it('never returns an unsafe code point, and keeps plain text as it is', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 2, max: 64 }), (text, max) => {
        const out = printable(text, max)
        expect(UNSAFE.test(out)).toBe(false)
        expect(out.length).toBeLessThanOrEqual(max)
      }),
      { numRuns: 2000 },
    )
    expect(printable('asset-cache: café 🙂 x/y.md')).toBe('asset-cache: café 🙂 x/y.md')
    expect(printable('a\u001b[31mred\u001b[0m\nnext')).toBe('ared next')
  })

  it('printableJson parses back to the same value and prints nothing unsafe', () => {
    fc.assert(
      fc.property(fc.dictionary(hostile, hostile, { maxKeys: 4 }), (value) => {
        const text = printableJson(value)
        expect(JSON.parse(text)).toEqual(value)
        for (const line of text.split('\n')) expect(UNSAFE.test(line)).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('the CLI prints untrusted text through printable', () => {
  const ctx = stubOnce('cli-output-')

  it('pull: a server error code and message', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, hostile, fc.constantFrom(401, 404, 500, 503), async (c, m, s) => {
        ctx.stub.lie = (_req, res) => {
          res.writeHead(s, { 'content-type': 'application/json', 'retry-after': '1' })
          res.end(JSON.stringify({ error: { code: c, message: m } }))
          return true
        }
        const p = await capture(() =>
          pullCommand('seo', { into: ctx.root, server: ctx.stub.url, token: TOKEN }),
        )
        expect(p.code).toBe(1)
        expectOneLine(p)
      }),
      { numRuns: 60 },
    )
  })

  it('pull: an archive entry name the client refuses', async () => {
    ctx.stub.lie = null
    const names = fc
      .tuple(hostile, hostile)
      .map(([a, b]) => `prompts/${a}${b}`.replaceAll('\u0000', ''))
      .filter((name) => Buffer.byteLength(name) <= 100)
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        publish(
          ctx.stub,
          'seo',
          rawTar([
            { name: 'config.yaml', body: 'x' },
            { name, body: 'x' },
          ]),
        )
        const p = await capture(() =>
          pullCommand('seo', { into: ctx.root, server: ctx.stub.url, token: TOKEN }),
        )
        expectOneLine(p)
      }),
      { numRuns: 60 },
    )
  })

  it('pin, unpin, refresh: a server error, and what a server says on success', async () => {
    const opts = { server: ctx.stub.url, token: TOKEN }
    const digest = `sha256:${'a'.repeat(64)}`
    await fc.assert(
      fc.asyncProperty(hostile, hostile, fc.boolean(), async (c, m, ok) => {
        ctx.stub.lie = (_req, res) => {
          res.writeHead(ok ? 200 : 409, { 'content-type': 'application/json' })
          res.end(JSON.stringify(ok ? { digest: m, jobId: c } : { error: { code: c, message: m } }))
          return true
        }
        for (const run of [
          () => pinCommand('seo', digest, opts),
          () => unpinCommand('seo', opts),
          () => refreshCommand('seo', opts),
        ]) {
          expectOneLine(await capture(run))
        }
      }),
      { numRuns: 40 },
    )
  })

  it('ls: template names, repos and rejection reasons, as a table and as JSON', async () => {
    const rt = await testRuntime([{ name: 'seo', repo: 'acme/seo' }])
    try {
      let n = 0
      await fc.assert(
        fc.asyncProperty(hostile, hostile, async (code, detail) => {
          rt.index.versions.record(
            {
              template: 'seo',
              commit: String(n++).padStart(40, '0'),
              status: 'rejected',
              reasonCode: code,
              reasonDetail: detail,
              source: 'cli',
            },
            Date.now(),
          )
          for (const run of [
            () => lsCommand(rt, undefined, {}),
            () => lsCommand(rt, 'seo', {}),
            () => lsCommand(rt, undefined, { json: true }),
            () => lsCommand(rt, 'seo', { json: true }),
            () => lsCommand(rt, code, {}),
          ]) {
            const p = await capture(run)
            expectClean(p.stdout)
            expectClean(p.stderr)
          }
        }),
        { numRuns: 40 },
      )
    } finally {
      rt.close()
    }
  })

  it('ingest: the entry name of a rejected archive', async () => {
    const rt = await testRuntime([{ name: 'seo', repo: 'acme/seo' }])
    try {
      await fc.assert(
        fc.asyncProperty(hostile, async (junk) => {
          const name = `seo/prompts/${junk}.md`.replaceAll('\u0000', '')
          if (Buffer.byteLength(name) > 100) return
          const file = join(ctx.root, 'archive.tar.gz')
          const tar = rawTar([
            { name: 'seo/', type: '5' },
            { name: 'seo/config.yaml', body: 'a: 1\n' },
            { name, body: 'x' },
          ])
          await writeFile(file, gzipSync(tar))
          expectClean(
            (
              await capture(async () =>
                ingestCommand(rt, await openArchive(file), { template: 'seo' }),
              )
            ).stderr,
          )
        }),
        { numRuns: 30 },
      )
    } finally {
      rt.close()
    }
  })
})

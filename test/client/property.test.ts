// Property: whatever bytes a server sends under their true digest, a pull either writes a valid
// bundle inside DIR or fails leaving DIR exactly as it was; nothing is ever written beside DIR.
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { pull } from '../../src/client/index.js'
import { snapshot } from './snapshot.js'
import { bundleOf, publish, rawTar, TOKEN } from './stub-server.js'
import { stubOnce } from './stub-suite.js'

const ctx = stubOnce('pull-prop-')

const NAMES = ['config.yaml', 'prompts/a.md', '../x', 'CLAUDE.md', 'a/../../b', '/abs', 'p/\u0000q']

it('a mutated or hostile tar never escapes DIR and never half-writes it', async () => {
  const base = await bundleOf([
    { path: 'config.yaml', body: 'name: seo\n' },
    { path: 'prompts/a.md', body: 'A'.repeat(700) },
  ])
  let run = 0
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        // flip bytes of a canonical tar
        fc
          .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          })
          .map((flips) => {
            const tar = Buffer.from(base)
            for (const [at, value] of flips) tar[at] = value
            return tar
          }),
        // or assemble one from hostile entries
        fc
          .array(
            fc.record({
              name: fc.constantFrom(...NAMES),
              type: fc.constantFrom('0', '0', '2', '5', '1', '3'),
              body: fc.string({ maxLength: 20 }),
              mode: fc.constantFrom(0o644, 0o755, 0o4777),
            }),
            { minLength: 1, maxLength: 4 },
          )
          .map((entries) =>
            rawTar(entries.map((e) => (e.type === '0' ? e : { ...e, body: '', linkname: 'x' }))),
          ),
      ),
      async (tar) => {
        run += 1
        const dir = join(ctx.root, `ws${run}`)
        await mkdir(dir)
        const before = await snapshot(dir)
        publish(ctx.stub, 'seo', tar)
        const ok = await pull(ctx.stub.url, 'seo', { into: dir, token: TOKEN }).then(
          () => true,
          () => false,
        )
        if (!ok) expect(await snapshot(dir)).toEqual(before)
        const after = await snapshot(dir)
        for (const [path, what] of Object.entries(after)) {
          expect(path.toLowerCase()).not.toMatch(/staging|^claude\.md$/)
          if (what.startsWith('file')) expect(what).toMatch(/^file (644|755) /)
        }
        expect((await readdir(ctx.root)).every((n) => /^ws\d+$/.test(n))).toBe(true)
      },
    ),
    { numRuns: 60 },
  )
})

// The commander wiring of `asset-cache attestation sign|verify` (the commands: cli/attestation.ts).
import type { Command } from 'commander'
import type { Runtime } from '../runtime.js'
import { attestationSignCommand, attestationVerifyCommand } from './attestation.js'

export function addAttestationCommands(
  program: Command,
  withRuntime: (fn: (rt: Runtime) => number | Promise<number>) => Promise<void>,
): void {
  const attestation = program
    .command('attestation')
    .description('signed attestations of ready versions (ASSET_CACHE_SIGNING_KEY) and their check')
  attestation
    .command('sign')
    .description(
      'sign the ready versions that have no attestation by ASSET_CACHE_SIGNING_KEY yet (idempotent)',
    )
    .argument('[template]', 'sign the versions of this template')
    .option('--all', 'sign the versions of every template')
    .option('--json', 'machine-readable output')
    .action((template: string | undefined, opts: { all?: boolean; json?: boolean }) =>
      withRuntime((rt) => attestationSignCommand(rt, template, opts)),
    )
  attestation
    .command('verify')
    .description(
      'check that a bundle file or digest has an attestation signed by a trusted key; exit 1 when not',
    )
    .argument('<target>', 'a bundle file (canonical tar) or a bundle digest sha256:<hex>')
    .option(
      '--trust <key.pub>',
      'a trusted ed25519 public key (repeatable; default: ASSET_CACHE_TRUSTED_KEYS)',
      (file: string, files: string[]) => [...files, file],
      [] as string[],
    )
    .option('--template <name>', 'the attestation must name this template')
    .option('--attestation <file>', 'envelopes (JSON) to check, instead of asking the server')
    .option('--server <url>', 'asset-cache server (default: ASSET_CACHE_SERVER)')
    .option('--token <token>', 'read token (default: ASSET_CACHE_TOKEN)')
    .action(async (target: string, opts: Parameters<typeof attestationVerifyCommand>[1]) => {
      process.exitCode = await attestationVerifyCommand(target, opts)
    })
}

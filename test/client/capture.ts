// Runs a CLI command in this process and captures what it prints (the commands write to
// process.stdout and process.stderr directly).
export interface Printed {
  code: number
  stdout: string
  stderr: string
}

export async function capture(run: () => Promise<number> | number): Promise<Printed> {
  const out = process.stdout.write
  const err = process.stderr.write
  let stdout = ''
  let stderr = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  }) as typeof process.stderr.write
  try {
    const code = await run()
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

// Polling for a condition in integration tests: no fixed sleeps, a generous deadline.

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

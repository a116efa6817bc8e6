// Reliability suites run small inside `npm test` and at full size under `npm run test:reliability`
// (RELIABILITY=full). Each suite picks its sizes through `pick` so both modes run the same code.

export const FULL = process.env.RELIABILITY === 'full'

/** `quick` inside `npm test`, `full` under `npm run test:reliability`. */
export function pick<T>(quick: T, full: T): T {
  return FULL ? full : quick
}

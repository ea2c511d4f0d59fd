// Types of scripts/build.mjs (plain JavaScript, so that `npm ci` and bin/tenantry.js run it without tsx).
export const ENTRY: string
export const BUNDLE: string
/** Why the bundle must be rebuilt (a sentence), or null when it is up to date. */
export function staleReason(): string | null
/** Builds dist/tenantry.js (and its source map). Throws an Error whose message is one line. */
export function build(): Promise<{ inputs: number; ms: number }>
/** Builds when the bundle is missing or older than a source; returns why it built, or null. */
export function ensureBuilt(): Promise<string | null>

// The seed's randomness: one pure-rand xoroshiro128+ stream per purpose, all derived from --seed, so
// the same seed always yields the same tenants, whatever else changes around them.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'

export class Rng {
  readonly #gen: RandomGenerator

  /** `stream` separates independent sequences of one seed (organizations, customers, ...). */
  constructor(seed: number, stream = 0) {
    const gen = xoroshiro128plus(seed)
    // A jump moves 2^64 steps ahead: streams of one seed never overlap.
    for (let i = 0; i < stream; i++) gen.jump()
    this.#gen = gen
  }

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.#gen)
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.#gen, min, max)
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float()
  }

  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)]
    if (item === undefined) throw new Error('pick from an empty list')
    return item
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0)
    let x = this.float() * total
    for (const [value, w] of choices) {
      x -= w
      if (x < 0) return value
    }
    const last = choices[choices.length - 1]
    if (!last) throw new Error('weighted pick from an empty list')
    return last[0]
  }

  /** Months until an event with a monthly probability p (geometric), at least 1. */
  monthsUntil(p: number): number {
    return 1 + Math.floor(Math.log(1 - this.float()) / Math.log(1 - p))
  }

  /** A non-negative 31-bit integer: a key for the database side's hash-based noise. */
  key(): number {
    return this.int(0, 0x7fffffff)
  }
}

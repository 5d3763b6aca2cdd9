/**
 * When to restart a crashed worker: exponential backoff (1 s, 2 s, 4 s … 30 s) between consecutive
 * crashes, and no more restarts after `maxCrashes` crashes within `windowMs` until the user asks.
 */
export interface CrashPolicyOptions {
  readonly maxCrashes: number;
  readonly windowMs: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicyOptions = { maxCrashes: 3, windowMs: 5 * 60_000, baseBackoffMs: 1000, maxBackoffMs: 30_000 };

export class CrashPolicy {
  private crashes: number[] = [];
  private consecutive = 0;

  constructor(private readonly options: CrashPolicyOptions = DEFAULT_CRASH_POLICY) {}

  recordCrash(now: number): void {
    this.crashes = [...this.crashes.filter((t) => now - t < this.options.windowMs), now];
    this.consecutive += 1;
  }

  /** A job finished: the worker is healthy again, so backoff starts over (the window still counts). */
  recordSuccess(): void {
    this.consecutive = 0;
  }

  reset(): void {
    this.crashes = [];
    this.consecutive = 0;
  }

  gaveUp(now: number): boolean {
    return this.crashes.filter((t) => now - t < this.options.windowMs).length >= this.options.maxCrashes;
  }

  /** Milliseconds to wait before the next spawn. */
  delayBeforeSpawn(now: number): number {
    if (this.consecutive === 0 || this.crashes.length === 0) return 0;
    const backoff = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (this.consecutive - 1));
    return Math.max(0, this.crashes[this.crashes.length - 1] + backoff - now);
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}

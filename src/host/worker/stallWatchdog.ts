/**
 * Decides when a long job's worker is hung, from its progress events rather than from total time: a
 * 2048² 200-step job on CPU is slow but steady, a frozen worker (SIGSTOP, a deadlock, swapping to death)
 * is silent. Until the first repeated step arrives the job may be loading a big model, so the limit is
 * `loadMs`; after that it is `factor` × the slowest step seen so far, never below `floorMs` nor above
 * `loadMs`. Any event (progress, preview, warning) re-arms the timer.
 */
export interface StallLimits {
  /** Silence allowed before the first measured step (model load, text and image encoding). */
  readonly loadMs: number;
  /** Least silence allowed once steps are measured. */
  readonly floorMs: number;
  /** Silence allowed, in multiples of the slowest step. */
  readonly factor: number;
}

export const DEFAULT_STALL_LIMITS: StallLimits = { loadMs: 15 * 60_000, floorMs: 60_000, factor: 10 };

export interface ProgressLike {
  readonly event: string;
  readonly payload?: unknown;
}

export class StallWatchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last: { phase: string; step: number; at: number } | undefined;
  private slowestStepMs = 0;

  constructor(
    private readonly limits: StallLimits,
    private readonly onStall: (silentMs: number, slowestStepMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.arm();
  }

  /** The silence allowed from now on. */
  get limitMs(): number {
    if (this.slowestStepMs === 0) return this.limits.loadMs;
    return Math.min(this.limits.loadMs, Math.max(this.limits.floorMs, this.limits.factor * this.slowestStepMs));
  }

  event(event: ProgressLike): void {
    const payload = event.payload as { phase?: unknown; step?: unknown } | undefined;
    if (event.event === 'progress' && typeof payload?.phase === 'string' && typeof payload.step === 'number') {
      const at = this.now();
      // Only a step following a step of the same phase measures a step; a phase change (load → denoise) does not.
      if (this.last && this.last.phase === payload.phase && payload.step > this.last.step) {
        this.slowestStepMs = Math.max(this.slowestStepMs, (at - this.last.at) / (payload.step - this.last.step));
      }
      this.last = { phase: payload.phase, step: payload.step, at };
    }
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.stop();
    const limit = this.limitMs;
    this.timer = setTimeout(() => this.onStall(limit, this.slowestStepMs), limit);
  }
}

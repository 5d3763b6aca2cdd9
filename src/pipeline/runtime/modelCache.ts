/**
 * Keeps one model warm. Switching models releases the old sessions first; because onnxruntime does
 * not return all memory on release (onnxruntime#25325), growth past a threshold recommends a restart.
 */
import path from 'node:path';
import type { ExecutionProviderPreference } from '../../shared/request';
import type { Logger } from '../backends/onnx';
import { loadModel, type LoadedModel } from './loadedModel';

const RESTART_GROWTH_BYTES = 768 * 1024 * 1024;

function cacheKey(dir: string, preference: ExecutionProviderPreference): string {
  return `${path.resolve(dir)}\0${preference}`;
}

export class ModelCache {
  private current: { key: string; model: LoadedModel } | undefined;
  private readonly baselineRss = process.memoryUsage().rss;
  /** Resident memory measured right after the last release of a model. */
  private rssAfterRelease: number | undefined;
  /** Resident memory right after the current model loaded (its weights, before any job's working memory). */
  private rssAfterLoad = 0;

  constructor(
    private readonly log: Logger,
    private readonly load: typeof loadModel = loadModel,
  ) {}

  /** The model kept warm for this folder and preference, if it is the current one. */
  peek(dir: string, preference: ExecutionProviderPreference): LoadedModel | undefined {
    return this.current?.key === cacheKey(dir, preference) ? this.current.model : undefined;
  }

  async get(dir: string, preference: ExecutionProviderPreference): Promise<{ model: LoadedModel; loaded: boolean }> {
    const key = cacheKey(dir, preference);
    if (this.current?.key === key) return { model: this.current.model, loaded: false };
    if (this.current) {
      this.log('info', `switching model: releasing ${this.current.model.folder.dir}`);
      await this.release();
      this.rssAfterRelease = process.memoryUsage().rss;
    }
    const model = await this.load(dir, preference, this.log);
    this.current = { key, model };
    this.rssAfterLoad = process.memoryUsage().rss;
    return { model, loaded: true };
  }

  /** Working memory the current model's sessions kept from earlier jobs (arena), which the next job re-uses. */
  heldWorkingBytes(): number {
    return this.current ? Math.max(0, process.memoryUsage().rss - this.rssAfterLoad) : 0;
  }

  async release(): Promise<void> {
    const previous = this.current;
    this.current = undefined;
    if (previous) await previous.model.release();
  }

  /** True when releasing a model left memory well above the worker's start: a fresh worker is cheaper. */
  restartRecommended(): boolean {
    return this.rssAfterRelease !== undefined && this.rssAfterRelease - this.baselineRss > RESTART_GROWTH_BYTES;
  }
}

/**
 * A session that can be closed between uses and reopens itself on the next run. The text encoder and the
 * VAE run once or twice per job: on the CPU their weights and working memory are returned while the UNet
 * denoises (and between jobs), so they never sit on top of the UNet's peak. Reopening costs a load of
 * their (small) graph; the metadata of the first open stays valid, as the file does not change under a model.
 */
import type { ExecutionProviderName } from '../../shared/request';
import type { Session, SessionMemory, TensorData, ValueInfo } from '../backends/onnx';

export class OnDemandSession implements Session {
  readonly file: string;
  readonly provider: ExecutionProviderName;
  readonly memory: SessionMemory;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  private open: Session | undefined;
  private opening: Promise<Session> | undefined;
  private released = false;
  /** How many times the graph was opened (the first open included). */
  opens = 1;

  constructor(
    first: Session,
    private readonly reopen: () => Promise<Session>,
  ) {
    this.open = first;
    this.file = first.file;
    this.provider = first.provider;
    this.memory = first.memory;
    this.inputs = first.inputs;
    this.outputs = first.outputs;
  }

  /** True while the underlying session is open. */
  get loaded(): boolean {
    return this.open !== undefined;
  }

  async run(feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, TensorData>> {
    if (this.released) throw new Error(`${this.file} was released with its model`);
    return (await this.session()).run(feeds);
  }

  private async session(): Promise<Session> {
    if (this.open) return this.open;
    this.opening ??= this.reopen().then((s) => {
      this.opens += 1;
      this.open = s;
      this.opening = undefined;
      return s;
    }, (error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /** Closes the underlying session until the next run. */
  async unload(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    const open = this.open;
    this.open = undefined;
    if (open) await open.release();
  }

  async release(): Promise<void> {
    this.released = true;
    await this.unload();
  }
}

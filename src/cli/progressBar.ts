/** Terminal progress on stderr: a redrawn bar on a TTY, a few plain lines otherwise (CI logs). */
import type { PipelineEvent } from '../host/worker/pipelineClient';

export class ProgressBar {
  private lastPhase = '';
  private lastQuarter = -1;
  private readonly started = Date.now();

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(event: PipelineEvent): void {
    if (event.event === 'warning') {
      this.clearLine();
      this.stream.write(`warning: ${event.payload.message}\n`);
      return;
    }
    if (event.event !== 'progress') return;
    const { phase, step, totalSteps } = event.payload;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.stream.isTTY) {
      const width = 24;
      const filled = totalSteps > 0 ? Math.round((step / totalSteps) * width) : 0;
      this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${step}/${totalSteps} ${phase.padEnd(12)} ${elapsed}s`);
      return;
    }
    const quarter = totalSteps > 0 ? Math.floor((step / totalSteps) * 4) : 0;
    if (phase !== this.lastPhase || (phase === 'denoising' && quarter !== this.lastQuarter)) {
      this.stream.write(`${phase} ${step}/${totalSteps} (${elapsed}s)\n`);
      this.lastPhase = phase;
      this.lastQuarter = quarter;
    }
  }

  clearLine(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[2K');
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

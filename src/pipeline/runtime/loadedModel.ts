/** A model folder with its sessions open, kept warm between jobs. */
import type { ExecutionProviderName, ExecutionProviderPreference } from '../../shared/request';
import { openSession, type Logger, type SessionStats } from '../backends/onnx';
import { loadClipTokenizer, type ClipTokenizer } from '../models/clip/tokenizer';
import { TextEncoder } from '../models/clip/textEncoder';
import { inspectModelFolder, type ModelFolder } from '../models/modelFolder';
import { UNet } from '../models/sd/unet';
import { VaeDecoder } from '../models/sd/vaeDecoder';
import { VaeEncoder } from '../models/sd/vaeEncoder';
import { PipelineError } from '../../shared/errors';

export interface LoadedModel {
  readonly folder: ModelFolder;
  readonly tokenizer: ClipTokenizer;
  readonly textEncoder: TextEncoder;
  readonly unet: UNet;
  readonly vaeDecoder: VaeDecoder;
  /** Present when the folder has vae_encoder/ (img2img, inpainting). */
  readonly vaeEncoder: VaeEncoder | undefined;
  readonly provider: ExecutionProviderName;
  /** "SD 1.x", "SD 2.x", "SD-Turbo", "LCM" … for metadata and the UI. */
  readonly family: string;
  readonly stats: SessionStats;
  release(): Promise<void>;
}

function familyLabel(folder: ModelFolder, unet: UNet, contextWidth: number): string {
  if (folder.demo) return 'Atelier demo (oracle)';
  if (unet.timestepCondInput || folder.pipelineClass.includes('LatentConsistency')) return 'LCM';
  if (contextWidth === 1024) return folder.schedulerConfig.timestepSpacing === 'trailing' ? 'SD-Turbo' : 'SD 2.x';
  if (contextWidth === 768) return 'SD 1.x';
  return `SD-family (text width ${contextWidth})`;
}

export async function loadModel(dir: string, preference: ExecutionProviderPreference, log: Logger): Promise<LoadedModel> {
  const folder = inspectModelFolder(dir);
  folder.notes.forEach((note) => log('info', note));
  const stats: SessionStats = { runs: 0, runMs: 0 };
  const tokenizer = await loadClipTokenizer(folder.tokenizerDir);
  // The UNet decides the provider; the other sessions follow it so tensors stay on one device type.
  const unetSession = await openSession(folder.unet, { preference, stats, log });
  const opened = [unetSession];
  try {
    const pinned = { preference, pinnedProvider: unetSession.provider, stats, log };
    const textSession = await openSession(folder.textEncoder, pinned);
    opened.push(textSession);
    const vaeSession = await openSession(folder.vaeDecoder, pinned);
    opened.push(vaeSession);
    const encoderSession = folder.vaeEncoder ? await openSession(folder.vaeEncoder, pinned) : undefined;
    if (encoderSession) opened.push(encoderSession);
    const unet = new UNet(unetSession);
    const textEncoder = new TextEncoder(textSession);
    const probe = await textEncoder.encode(tokenizer.encodePadded('').ids);
    if (unet.contextWidth !== undefined && unet.contextWidth !== probe.width) {
      throw new PipelineError('MODEL_INVALID', `the text encoder produces ${probe.width}-wide embeddings but the UNet expects ${unet.contextWidth}; the two come from different models`);
    }
    return {
      folder,
      tokenizer,
      textEncoder,
      unet,
      vaeDecoder: new VaeDecoder(vaeSession),
      vaeEncoder: encoderSession ? new VaeEncoder(encoderSession) : undefined,
      provider: unetSession.provider,
      family: familyLabel(folder, unet, probe.width),
      stats,
      release: async () => {
        for (const s of opened) await s.release();
      },
    };
  } catch (error) {
    for (const s of opened) await s.release().catch(() => undefined);
    throw error;
  }
}

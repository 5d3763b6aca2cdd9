/** A model folder with its sessions open, kept warm between jobs. */
import type { ExecutionProviderName, ExecutionProviderPreference } from '../../shared/request';
import { firstProvider, openSession, type Logger, type Session, type SessionStats } from '../backends/onnx';
import { loadClipTokenizer, type ClipTokenizer } from '../models/clip/tokenizer';
import { TextEncoder } from '../models/clip/textEncoder';
import { inspectModelFolder, type ModelFolder } from '../models/modelFolder';
import { UNet } from '../models/sd/unet';
import { ControlNet } from '../models/sd/controlNet';
import type { ControlNetFolder } from '../models/controlNetFolder';
import { VaeDecoder } from '../models/sd/vaeDecoder';
import { VaeEncoder } from '../models/sd/vaeEncoder';
import { PipelineError } from '../../shared/errors';
import { OnDemandSession } from './onDemandSession';
import { availableMemoryBytes, vaeDecodeBytes } from './memoryBudget';
import { graphBytes } from './jobMemory';
import { int8GraphFor } from '../quantize/int8Cache';

/** The graphs a job uses once or twice: on the CPU they are closed when the job is done with them. */
export type TransientPart = 'textEncoder' | 'vaeEncoder' | 'vaeDecoder' | 'unet';

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
  /** Width of the text embeddings (768 for SD 1.x, 1024 for SD 2.x). */
  readonly textWidth: number;
  /** The side the model was trained at (512, or 768 for SD 2.x v-prediction): "only masked" works at it. */
  readonly nativeSize: number;
  /** Layout (c): the residual-input UNet (`controlnet/`, or `unet/` itself when it takes residuals), opened on first use. */
  residualUnet(): Promise<UNet | undefined>;
  /** A separate ControlNet, opened on first use and kept with the model. */
  controlNet(folder: ControlNetFolder): Promise<ControlNet>;
  /**
   * The job is done with this part for now: on the CPU its session is closed (weights and working memory
   * returned) and reopens on its next use, so it never sits on top of the UNet's peak. No-op elsewhere.
   */
  doneWith(...parts: TransientPart[]): Promise<void>;
  /**
   * Before the VAE decode: when the machine's available memory cannot hold the decode beside the UNet's
   * weights and working memory, the UNet is closed (it reopens for the next job) instead of the job
   * swapping or being killed. Returns true when it closed the UNet.
   */
  makeRoomToDecode(width: number, height: number, availableBytes?: number): Promise<boolean>;
  release(): Promise<void>;
}

function familyLabel(folder: ModelFolder, unet: UNet, contextWidth: number): string {
  if (folder.demo) return 'Atelier demo (oracle)';
  if (unet.timestepCondInput || folder.pipelineClass.includes('LatentConsistency')) return 'LCM';
  if (contextWidth === 1024) return folder.schedulerConfig.timestepSpacing === 'trailing' ? 'SD-Turbo' : 'SD 2.x';
  if (contextWidth === 768) return 'SD 1.x';
  return `SD-family (text width ${contextWidth})`;
}

async function unloadParts(parts: Record<TransientPart, Session | undefined>, names: readonly TransientPart[]): Promise<void> {
  for (const name of names) {
    const session = parts[name];
    if (session instanceof OnDemandSession) await session.unload();
  }
}

/** `ATELIER_UNET_INT8=1` (the CLI's --int8): on the CPU, the UNet runs with its MatMul weights in int8. */
export function unetInt8FromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.ATELIER_UNET_INT8 ?? '').trim() === '1';
}

export async function loadModel(dir: string, preference: ExecutionProviderPreference, log: Logger, options: { readonly unetInt8?: boolean } = { unetInt8: unetInt8FromEnv() }): Promise<LoadedModel> {
  const folder = inspectModelFolder(dir);
  folder.notes.forEach((note) => log('info', note));
  const stats: SessionStats = { runs: 0, runMs: 0 };
  const tokenizer = await loadClipTokenizer(folder.tokenizerDir);
  // int8 is a CPU choice: other providers run the fp32 graph.
  const unetFile = options.unetInt8 && firstProvider(preference) === 'cpu' ? int8GraphFor(folder.unet, log) : folder.unet;
  // The UNet decides the provider; the other sessions follow it so tensors stay on one device type.
  const openedUnet = await openSession(unetFile, { preference, stats, log });
  // On the CPU the UNet can be closed before a decode that would not fit beside it (makeRoomToDecode).
  const unetSession = openedUnet.provider === 'cpu' ? new OnDemandSession(openedUnet, () => openSession(unetFile, { preference, pinnedProvider: 'cpu', stats, log })) : openedUnet;
  const opened = [unetSession];
  try {
    const pinned = { preference, pinnedProvider: unetSession.provider, stats, log };
    // On the CPU the text encoder and the VAE are closed between uses (doneWith). The text encoder's
    // activations are also freed after each run; the VAE keeps its arena while open: without it a 512²
    // decode of SD 1.5 took minutes instead of ~30 s (fresh pages per run).
    const transient = unetSession.provider === 'cpu';
    const openPart = async (file: string, memory: 'arena' | 'return-after-run'): Promise<Session> => {
      const first = await openSession(file, { ...pinned, memory });
      return transient ? new OnDemandSession(first, () => openSession(file, { ...pinned, memory })) : first;
    };
    const textSession = await openPart(folder.textEncoder, 'return-after-run');
    opened.push(textSession);
    const vaeSession = await openPart(folder.vaeDecoder, 'arena');
    opened.push(vaeSession);
    const encoderSession = folder.vaeEncoder ? await openPart(folder.vaeEncoder, 'arena') : undefined;
    if (encoderSession) opened.push(encoderSession);
    const parts: Record<TransientPart, Session | undefined> = { textEncoder: textSession, vaeEncoder: encoderSession, vaeDecoder: vaeSession, unet: unetSession };
    // On the CPU, CFG as two batch-1 passes holds half the UNet activations for the same time per step.
    const denoiser = { batchOnePasses: unetSession.provider === 'cpu' };
    const unet = new UNet(unetSession, denoiser);
    let residualUnet: UNet | undefined = unet.controlLayout === 'residual' ? unet : undefined;
    const controlNets = new Map<string, ControlNet>();
    const textEncoder = new TextEncoder(textSession);
    const probe = await textEncoder.encode(tokenizer.encodePadded('').ids);
    if (unet.contextWidth !== undefined && unet.contextWidth !== probe.width) {
      throw new PipelineError('MODEL_INVALID', `the text encoder produces ${probe.width}-wide embeddings but the UNet expects ${unet.contextWidth}; the two come from different models`);
    }
    // The decoder is only needed at the end of a job, the encoder only for image inputs.
    await unloadParts(parts, ['vaeDecoder', 'vaeEncoder']);
    return {
      folder,
      tokenizer,
      textEncoder,
      unet,
      vaeDecoder: new VaeDecoder(vaeSession),
      vaeEncoder: encoderSession ? new VaeEncoder(encoderSession) : undefined,
      provider: unetSession.provider,
      family: familyLabel(folder, unet, probe.width) + (unetFile !== folder.unet ? ' (int8 UNet)' : ''),
      stats,
      textWidth: probe.width,
      nativeSize: probe.width === 1024 && folder.schedulerConfig.predictionType === 'v_prediction' ? 768 : 512,
      residualUnet: async () => {
        if (!residualUnet && folder.controlUnet) {
          const session = await openSession(folder.controlUnet, pinned);
          opened.push(session);
          residualUnet = new UNet(session, denoiser);
          if (residualUnet.controlLayout !== 'residual') throw new PipelineError('MODEL_INVALID', `${folder.controlUnet} takes no ControlNet residuals (down_block_N_additional_residual); it is not a ControlNet UNet`);
        }
        return residualUnet;
      },
      controlNet: async (cn) => {
        const cached = controlNets.get(cn.file);
        if (cached) return cached;
        const session = await openSession(cn.file, pinned);
        opened.push(session);
        const net = new ControlNet(session, denoiser);
        controlNets.set(cn.file, net);
        return net;
      },
      doneWith: (...names) => unloadParts(parts, names),
      makeRoomToDecode: async (width, height, availableBytes = availableMemoryBytes()) => {
        if (!(unetSession instanceof OnDemandSession) || !unetSession.loaded) return false;
        const need = vaeDecodeBytes(graphBytes(folder.vaeDecoder), width, height);
        if (availableBytes >= need) return false;
        log('info', `closing the UNet before decoding: the ${width}×${height} decode needs about ${(need / 1e9).toFixed(1)} GB and ${(availableBytes / 1e9).toFixed(1)} GB is available; it reopens for the next job`);
        await unetSession.unload();
        return true;
      },
      release: async () => {
        for (const s of opened) await s.release();
      },
    };
  } catch (error) {
    for (const s of opened) await s.release().catch(() => undefined);
    throw error;
  }
}

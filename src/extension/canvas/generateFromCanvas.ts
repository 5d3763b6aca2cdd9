/**
 * "Generate from canvas": the base image and, when the mask holds anything, the mask go to the
 * pipeline as inpainting (else as img2img). The result is a new file beside the image, opened beside
 * the canvas; the original is never touched.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { CanvasGenerateOptions, ToCanvas } from '../../shared/protocol/canvas';
import type { Img2ImgRequest, InpaintRequest } from '../../shared/request';
import { readSettings, samplingFromSettings } from '../config/settings';
import { resolveModel, type GenerateDeps } from '../commands/generateImage';
import { modelTrustProblem } from '../commands/trust';
import { generateAndSave, progressMessage } from '../generation/generateAndSave';
import { encodePng } from '../images/imageCodec';
import { showPipelineError } from '../ui/errorNotice';
import type { CanvasDocument } from './canvasDocument';
import { layerPaths } from './layerFiles';

/** Control layers wait for ControlNet support in the pipeline; say so instead of dropping them silently. */
export function controlsNotice(controls: CanvasGenerateOptions['controls']): string | undefined {
  if (controls.length === 0) return undefined;
  return `ControlNet is not in the pipeline yet, so the ${controls.join(', ')} ${controls.length === 1 ? 'layer was' : 'layers were'} not used for this image.`;
}

export async function generateFromCanvas(deps: GenerateDeps, document: CanvasDocument, webview: vscode.Webview, options: CanvasGenerateOptions): Promise<void> {
  const status = (level: 'info' | 'warning' | 'error', message: string): void => void webview.postMessage({ type: 'status', level, message } satisfies ToCanvas);
  if (options.prompt.trim() === '') {
    status('warning', 'Type a prompt first: it describes what to paint into the masked area (or the whole image).');
    return;
  }
  const modelDir = await resolveModel(deps);
  if (!modelDir) return;
  const trust = modelTrustProblem(modelDir);
  if (trust) {
    status('error', trust);
    return;
  }
  const notice = controlsNotice(options.controls);
  if (notice) status('warning', notice);

  const model = document.canvas;
  const settings = readSettings();
  const sampling = samplingFromSettings(settings);
  const image = document.uri.fsPath;
  const masked = model.hasContent('mask');
  const common: Omit<Img2ImgRequest, 'kind'> = {
    modelDir,
    prompt: options.prompt,
    negativePrompt: settings.negativePrompt,
    sampling,
    previewEvery: 0,
    executionProvider: settings.executionProvider,
    initImage: await readFile(image),
    strength: options.strength,
  };
  const request: Img2ImgRequest | InpaintRequest = masked
    ? { ...common, kind: 'inpaint', mask: await encodePng(model.layer('mask'), model, 1), maskBlur: options.maskBlur }
    : { ...common, kind: 'img2img' };
  const stem = `${path.basename(image, path.extname(image))}-${masked ? 'inpaint' : 'vary'}-${sampling.seed}`;

  void webview.postMessage({ type: 'busy', busy: true } satisfies ToCanvas);
  try {
    const file = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Atelier', cancellable: true }, (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return generateAndSave(deps, request, { dir: path.dirname(image), stem }, {
        signal: abort.signal,
        labels: { initImageLabel: vscode.workspace.asRelativePath(image), maskLabel: masked ? vscode.workspace.asRelativePath(layerPaths(image).mask) : undefined },
        onEvent: (event) => {
          if (event.event === 'warning') status('warning', event.payload.message);
          if (event.event !== 'progress') return;
          progress.report({ message: progressMessage(event.payload) });
          status('info', progressMessage(event.payload));
        },
      });
    });
    status('info', `Saved ${path.basename(file)}.`);
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: false });
  } catch (error) {
    status('error', 'Generation did not finish; see the notification.');
    await showPipelineError(error, deps.log);
  } finally {
    void webview.postMessage({ type: 'busy', busy: false } satisfies ToCanvas);
  }
}

/**
 * "Generate from canvas": the base image and, when the mask holds anything, the mask go to the
 * pipeline as inpainting (else as img2img), with the ticked control layers as ControlNet inputs. The
 * result is a new file beside the image, opened beside the canvas (and offered as the next canvas);
 * the original is never touched.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { CanvasGenerateOptions, ToCanvas } from '../../shared/protocol/canvas';
import type { ControlInput, ControlNetSummary, Img2ImgRequest, InpaintRequest } from '../../shared/request';
import { readSettings, requestBase } from '../config/settings';
import { resolveModel, type GenerateDeps } from '../commands/generateImage';
import { modelTrustProblem } from '../commands/trust';
import { progressMessage } from '../generation/generateAndSave';
import { generateWithProgress, openBeside } from '../generation/generateWithProgress';
import { encodePng } from '../images/imageCodec';
import { showPipelineError } from '../ui/errorNotice';
import type { CanvasDocument } from './canvasDocument';
import { edgeMap, layerPaths } from './layerFiles';
import { layerControls } from './canvasControls';

/** Context kept around the mask when "Inpaint only the masked area" is on. */
const ONLY_MASKED_PADDING = 32;
const CONTINUE_IN_CANVAS = 'Continue in Canvas';

/** The ControlNets under atelier.controlNetFolders (none configured: none, without starting the worker). */
export async function installedControlNets(deps: GenerateDeps): Promise<readonly ControlNetSummary[]> {
  const roots = readSettings().controlNetFolders;
  return roots.length > 0 ? deps.client().listControlNets(roots) : [];
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
  const model = document.canvas;
  const settings = readSettings();
  const installed = options.controls.length > 0 ? await installedControlNets(deps) : [];
  const layers = layerControls(model, options.controls, installed, () => edgeMap(model));
  layers.notices.forEach((n) => status('warning', n));
  const controls: ControlInput[] = [];
  for (const c of layers.controls) controls.push({ type: c.type, image: await encodePng(c.rgb, model, 3), scale: c.scale, start: 0, end: 1, controlNetDir: c.controlNetDir });
  const image = document.uri.fsPath;
  const masked = model.hasContent('mask');
  const common: Omit<Img2ImgRequest, 'kind'> = {
    ...requestBase(settings, modelDir, options.prompt),
    initImage: await readFile(image),
    strength: options.strength,
    controls,
    controlNetRoots: settings.controlNetFolders,
  };
  const request: Img2ImgRequest | InpaintRequest = masked
    ? { ...common, kind: 'inpaint', mask: await encodePng(model.layer('mask'), model, 1), maskBlur: options.maskBlur, onlyMasked: options.onlyMasked ? { padding: ONLY_MASKED_PADDING } : undefined }
    : { ...common, kind: 'img2img' };
  const stem = `${path.basename(image, path.extname(image))}-${masked ? 'inpaint' : 'vary'}-${common.sampling.seed}`;

  void webview.postMessage({ type: 'busy', busy: true } satisfies ToCanvas);
  try {
    const file = await generateWithProgress(deps, request, { dir: path.dirname(image), stem }, {
      labels: {
        initImageLabel: vscode.workspace.asRelativePath(image),
        maskLabel: masked ? vscode.workspace.asRelativePath(layerPaths(image).mask) : undefined,
        controlLabels: layers.controls.map((c) => `canvas ${c.layer} layer`),
      },
      onEvent: (event) => {
        if (event.event === 'warning') status('warning', event.payload.message);
        if (event.event === 'progress') status('info', progressMessage(event.payload));
      },
    });
    status('info', `Saved ${path.basename(file)}.`);
    await openBeside(file);
    void vscode.window.showInformationMessage(`Atelier saved ${path.basename(file)}.`, CONTINUE_IN_CANVAS).then((choice) => {
      if (choice === CONTINUE_IN_CANVAS) void vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'atelier.canvas', vscode.ViewColumn.Beside);
    });
  } catch (error) {
    status('error', 'Generation did not finish; see the notification.');
    await showPipelineError(error, deps.log);
  } finally {
    void webview.postMessage({ type: 'busy', busy: false } satisfies ToCanvas);
  }
}

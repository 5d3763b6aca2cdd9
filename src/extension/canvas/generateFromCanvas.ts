/**
 * "Generate from canvas": an extended canvas goes to the pipeline as outpainting; otherwise the base
 * image and, when the mask holds anything, the mask go as inpainting (else as img2img), with the
 * ticked control layers as ControlNet inputs. The result is a new file beside the image, opened
 * beside the canvas (and offered as the next canvas); the original is never touched.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { isExtended, type CanvasGenerateOptions, type ToCanvas } from '../../shared/protocol/canvas';
import type { ControlInput, ControlNetSummary } from '../../shared/request';
import { buildJob } from '../../host/jobs/buildJob';
import type { GenerationJob } from '../../host/jobs/job';
import { jobSettings, readSettings } from '../config/settings';
import { trustedModel } from '../commands/askForModel';
import type { GenerateDeps } from '../generation/deps';
import { progressMessage } from '../generation/generateAndSave';
import { generateWithProgress, openBeside } from '../generation/generateWithProgress';
import { showPipelineError } from '../ui/errorNotice';
import type { CanvasDocument } from './canvasDocument';
import { edgeMap, layerPaths } from '../../host/canvas/layerFiles';
import { layerControls } from '../../host/canvas/canvasControls';
import { FILE_KINDS, readBounded } from '../../shared/files/boundedRead';

/** Context kept around the mask when "Inpaint only the masked area" is on. */
const ONLY_MASKED_PADDING = 32;
const CONTINUE_IN_CANVAS = 'Continue in Canvas';

/** The ControlNets under atelier.controlNetFolders (none configured: none, without starting the worker). */
export async function installedControlNets(deps: GenerateDeps): Promise<readonly ControlNetSummary[]> {
  // On a ComfyUI server: the server's ControlNets, named as its jobs take them.
  const backend = deps.backend();
  if (backend.capabilities().backend === 'comfyui') return backend.listControlNets ? backend.listControlNets() : [];
  const roots = readSettings().controlNetFolders;
  return roots.length > 0 ? deps.client().listControlNets(roots) : [];
}

/** Outpainting paints the new area from scratch (as `atelier generate --outpaint` does by default). */
const OUTPAINT_STRENGTH = 1;

/** What Generate asks of the pipeline: outpainting when the canvas is extended, inpainting when the mask holds anything, else img2img. */
async function canvasJob(deps: GenerateDeps, document: CanvasDocument, options: CanvasGenerateOptions, modelDir: string, notice: (message: string) => void): Promise<GenerationJob> {
  const model = document.canvas;
  const image = document.uri.fsPath;
  const masked = model.hasContent('mask');
  const initImage = await readBounded(image, FILE_KINDS.image);
  const common = {
    modelDir,
    prompt: options.prompt,
    settings: jobSettings(readSettings()),
    output: { dir: path.dirname(image) },
    nameAfter: { source: path.basename(image, path.extname(image)) },
  };
  if (isExtended(model.extend)) {
    if (masked) notice('The mask is not used while the canvas is extended: Generate paints the new area. Reset the extension to inpaint the mask.');
    if (options.controls.length > 0) notice('Control layers are not used while the canvas is extended (they cover the image, not the new area).');
    // The new area is painted from scratch; the photo's own pixels come back exactly.
    return buildJob({
      ...common,
      source: { kind: 'outpaint', initImage, strength: OUTPAINT_STRENGTH, extend: model.extend, fill: 'edge', maskBlur: options.maskBlur },
      labels: { initImageLabel: vscode.workspace.asRelativePath(image) },
      files: { init: image },
    });
  }
  const installed = options.controls.length > 0 ? await installedControlNets(deps) : [];
  const layers = layerControls(model, options.controls, installed, () => edgeMap(model));
  layers.notices.forEach(notice);
  const controls: ControlInput[] = [];
  // The layers cross to the worker as the pixels they are: no PNG round trip.
  // A server needs a ControlNet named: none chosen, the first of the layer's type it offers.
  const onServer = deps.backend().capabilities().backend === 'comfyui';
  const named = (c: (typeof layers.controls)[number]): string | undefined => c.controlNetDir ?? (onServer ? installed.find((i) => i.type === c.type)?.dir : undefined);
  for (const c of layers.controls) controls.push({ type: c.type, image: { width: model.width, height: model.height, channels: 3, data: c.rgb }, scale: c.scale, start: 0, end: 1, controlNetDir: named(c) });
  return buildJob({
    ...common,
    source: masked
      ? { kind: 'inpaint', initImage, strength: options.strength, mask: { width: model.width, height: model.height, channels: 1, data: model.layer('mask') }, maskBlur: options.maskBlur, onlyMasked: options.onlyMasked ? { padding: ONLY_MASKED_PADDING } : undefined }
      : { kind: 'img2img', initImage, strength: options.strength },
    controls,
    // The mask and control layers live in the canvas, not in files the recipe could name.
    ...(masked || layers.controls.length > 0 ? {} : { files: { init: image } }),
    labels: {
      initImageLabel: vscode.workspace.asRelativePath(image),
      maskLabel: masked ? vscode.workspace.asRelativePath(layerPaths(image).mask) : undefined,
      controlLabels: layers.controls.map((c) => `canvas ${c.layer} layer`),
    },
  });
}

export async function generateFromCanvas(deps: GenerateDeps, document: CanvasDocument, webview: vscode.Webview, options: CanvasGenerateOptions): Promise<void> {
  const status = (level: 'info' | 'warning' | 'error', message: string): void => void webview.postMessage({ type: 'status', level, message } satisfies ToCanvas);
  if (options.prompt.trim() === '') {
    status('warning', `Type a prompt first: it describes what to paint into ${isExtended(document.canvas.extend) ? 'the new area' : 'the masked area (or the whole image)'}.`);
    return;
  }
  const modelDir = await trustedModel(deps, (problem) => status('error', problem));
  if (!modelDir) return;
  let job: GenerationJob;
  try {
    job = await canvasJob(deps, document, options, modelDir, (message) => status('warning', message));
  } catch (error) {
    status('error', 'Generation did not start; see the notification.');
    await showPipelineError(error, deps.log);
    return;
  }

  void webview.postMessage({ type: 'busy', busy: true } satisfies ToCanvas);
  let file: string | undefined;
  let failure: unknown;
  try {
    file = await generateWithProgress(deps, job, {
      onEvent: (event) => {
        if (event.event === 'warning') status('warning', event.payload.message);
        if (event.event === 'progress') status('info', progressMessage(event.payload));
      },
    });
  } catch (error) {
    failure = error;
  } finally {
    // Usable again before any notification waits for the user (the error toast stays until closed).
    void webview.postMessage({ type: 'busy', busy: false } satisfies ToCanvas);
  }
  if (!file) {
    status('error', 'Generation did not finish; see the notification.');
    await showPipelineError(failure, deps.log);
    return;
  }
  status('info', `Saved ${path.basename(file)}.`);
  await openBeside(file);
  const saved = file;
  void vscode.window.showInformationMessage(`Atelier saved ${path.basename(saved)}.`, CONTINUE_IN_CANVAS).then((choice) => {
    if (choice === CONTINUE_IN_CANVAS) void vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(saved), 'atelier.canvas', vscode.ViewColumn.Beside);
  });
}

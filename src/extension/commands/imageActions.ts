/**
 * Explorer and editor context-menu actions on images: "Vary (img2img)", "Use as Control Input…" (a
 * new image steered by this one) and "Upscale Image". ("Inpaint…" is openInCanvas on the mask layer.)
 * Results are new files beside the source image; the source is never touched.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { UPSCALE_FACTORS, UPSCALER_MODELS, type ControlType, type UpscaleFactor } from '../../shared/request';
import { buildJob } from '../../host/jobs/buildJob';
import { callbacksFor } from '../../host/backend/backend';
import { saveUpscaled, upscaleTarget } from '../../host/output/saveUpscaled';
import { checkWritableFolder } from '../../host/output/saveImage';
import { readParameters } from '../../host/output/imageMetadata';
import { controlChoices, sizeForControl } from '../../host/controls/controlChoices';
import { jobSettings, readSettings } from '../config/settings';
import { generateWithProgress, openBeside, withJobProgress } from '../generation/generateWithProgress';
import { ImageReadError, readImageSize, type ImageSize } from '../../host/images/imageCodec';
import { parseParameters } from '../../host/output/parameters';
import { showPipelineError } from '../ui/errorNotice';
import { trustedModel } from './askForModel';
import type { GenerateDeps } from '../generation/deps';
import { imageTarget } from './imageTarget';
import { FILE_KINDS, FileReadError, readBounded } from '../../shared/files/boundedRead';

/** How strongly "Vary" changes the image: the img2img strength. */
const VARY_STRENGTHS = [
  { label: 'Subtle', description: 'strength 0.35: same composition, new details', strength: 0.35 },
  { label: 'Medium', description: 'strength 0.55', strength: 0.55 },
  { label: 'Strong', description: 'strength 0.75: keeps only the rough layout and colours', strength: 0.75 },
];

function modelFor(deps: GenerateDeps): Promise<string | undefined> {
  return trustedModel(deps, (problem) => void vscode.window.showWarningMessage(`Atelier: ${problem}`));
}

/** The prompt stored in an Atelier/A1111 PNG, JPEG or WebP, to start the prompt box from. */
function storedPrompt(bytes: Uint8Array): string {
  const text = readParameters(bytes);
  return text ? parseParameters(text).prompt : '';
}

/**
 * The clicked image, read and checked from its header (format, size) before anything is asked; a
 * file that cannot be used says why in a warning, and gives undefined.
 */
async function readImage(file: string): Promise<{ bytes: Uint8Array; size: ImageSize } | undefined> {
  try {
    const bytes = new Uint8Array(await readBounded(file, FILE_KINDS.image));
    return { bytes, size: await readImageSize(bytes, path.basename(file)) };
  } catch (error) {
    const reason = error instanceof ImageReadError || error instanceof FileReadError ? error.message : `${path.basename(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    void vscode.window.showWarningMessage(`Atelier: ${reason}`);
    return undefined;
  }
}

function askPrompt(title: string, value: string, prompt: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title, value, prompt, ignoreFocusOut: true, validateInput: (v) => (v.trim() === '' ? 'Describe what the new image should show' : undefined) });
}

export async function varyImage(deps: GenerateDeps, target?: vscode.Uri): Promise<void> {
  const uri = imageTarget(target, 'Vary');
  if (!uri) return;
  const image = uri.fsPath;
  const read = await readImage(image);
  if (!read) return;
  const prompt = await askPrompt('Atelier: Vary (img2img)', storedPrompt(read.bytes), `What ${path.basename(image)} should become`);
  if (!prompt) return;
  const strength = await vscode.window.showQuickPick(VARY_STRENGTHS, { title: 'Atelier: how much to change it' });
  if (!strength) return;
  const modelDir = await modelFor(deps);
  if (!modelDir) return;
  try {
    const job = buildJob({
      modelDir,
      prompt,
      settings: jobSettings(readSettings()),
      source: { kind: 'img2img', initImage: read.bytes, strength: strength.strength },
      output: { dir: path.dirname(image) },
      nameAfter: { source: path.basename(image, path.extname(image)) },
      labels: { initImageLabel: vscode.workspace.asRelativePath(image) },
      files: { init: image },
    });
    await openBeside(await generateWithProgress(deps, job));
  } catch (error) {
    await showPipelineError(error, deps.log);
  }
}

export async function useAsControlInput(deps: GenerateDeps, target?: vscode.Uri): Promise<void> {
  const uri = imageTarget(target, 'Use as Control Input');
  if (!uri) return;
  const image = uri.fsPath;
  const read = await readImage(image);
  if (!read) return;
  const { bytes, size } = read;
  const type = await vscode.window.showQuickPick(controlChoices(path.basename(image)), { title: `Atelier: what does ${path.basename(image)} show?`, placeHolder: 'The ControlNet type (openpose skeleton, depth map, canny edges, scribble …)' });
  if (!type) return;
  const prompt = await askPrompt('Atelier: Use as Control Input', '', `The new image, steered by ${path.basename(image)} as ${type}`);
  if (!prompt) return;
  const modelDir = await modelFor(deps);
  if (!modelDir) return;
  try {
    const job = buildJob({
      modelDir,
      prompt,
      settings: { ...jobSettings(readSettings()), ...sizeForControl(size.width, size.height) },
      source: { kind: 'txt2img' },
      controls: [{ type: type as ControlType, image: bytes, scale: 1, start: 0, end: 1 }],
      output: { dir: path.dirname(image) },
      nameAfter: { source: path.basename(image, path.extname(image)), verb: type },
      labels: { controlLabels: [vscode.workspace.asRelativePath(image)] },
      files: { controls: [image] },
    });
    await openBeside(await generateWithProgress(deps, job));
  } catch (error) {
    await showPipelineError(error, deps.log);
  }
}

const UPSCALE_CHOICES = UPSCALE_FACTORS.flatMap((scale) =>
  UPSCALER_MODELS.map((model) => ({ label: `${scale}×, ${model}`, description: model === 'slim' ? 'fast' : 'sharper, about twice as slow', scale, model })),
);

/** "Upscale Image (2×/4×)": the built-in ESRGAN (slim unless chosen), result `<name>@<scale>x.png` beside the image. */
export async function upscaleImageFile(deps: GenerateDeps, target: vscode.Uri | undefined, fixedScale?: UpscaleFactor): Promise<void> {
  const uri = imageTarget(target, 'Upscale Image');
  if (!uri) return;
  const choice = fixedScale ? { scale: fixedScale, model: 'slim' as const } : await vscode.window.showQuickPick(UPSCALE_CHOICES, { title: `Atelier: upscale ${path.basename(uri.fsPath)}` });
  if (!choice) return;
  const image = uri.fsPath;
  const read = await readImage(image);
  if (!read) return;
  const { bytes } = read;
  const settings = readSettings();
  const output = upscaleTarget(image, choice.scale);
  try {
    await checkWritableFolder(output.dir);
    const file = await withJobProgress(async (signal, onEvent) => {
      // The backend drops a result that raced the Cancel button: it is never saved.
      const result = await deps.backend().upscale({ image: bytes, scale: choice.scale, model: choice.model, executionProvider: settings.executionProvider }, callbacksFor(onEvent, signal));
      const saved = await saveUpscaled(bytes, result, output, { writeMetadata: settings.writeMetadata });
      deps.log.info(`upscaled ${image} with ${result.upscaler} (${result.source}) → ${saved}, ${result.tiles} tiles, ${(result.timings.totalMs / 1000).toFixed(1)} s`);
      return saved;
    });
    await openBeside(file);
  } catch (error) {
    await showPipelineError(error, deps.log);
  }
}

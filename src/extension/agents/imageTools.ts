/**
 * atelier_editImage (img2img: vary an existing image) and atelier_upscaleImage (built-in ESRGAN).
 * The source image is read from the workspace and never changed; the result is a new file.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { parseEditImageInput, parseUpscaleImageInput, regionMask, TOOL_FIELDS } from '../../host/agents/toolInput';
import { shownPath, workspacePath } from '../../host/agents/toolPaths';
import { writtenText } from '../../host/agents/toolText';
import { ToolInputError } from '../../host/agents/toolErrors';
import { callbacksFor } from '../../host/backend/backend';
import { readImageSize, ImageReadError } from '../../host/images/imageCodec';
import { buildJob } from '../../host/jobs/buildJob';
import { targetOfFile } from '../../host/output/outputTarget';
import { checkWritableFolder } from '../../host/output/saveImage';
import { saveUpscaled, upscaleTarget } from '../../host/output/saveUpscaled';
import { FILE_KINDS, FileReadError, readBounded } from '../../shared/files/boundedRead';
import { jobSettings, readSettings } from '../config/settings';
import { generateAndSaveWithRecipe } from '../generation/generateAndSave';
import type { GenerateDeps } from '../generation/deps';
import { targetLine } from './generateImageTool';
import { asToolResult, confirmWrite, runWithProgress, toolModel, workspaceFolders } from './toolRun';

async function readSource(file: string, folders: readonly string[], field = 'image'): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  try {
    const bytes = new Uint8Array(await readBounded(file, FILE_KINDS.image));
    return { bytes, ...(await readImageSize(bytes, path.basename(file))) };
  } catch (error) {
    const reason = error instanceof ImageReadError || error instanceof FileReadError ? error.message : `${shownPath(file, folders)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    throw new ToolInputError(field, reason);
  }
}

const EDIT = 'atelier_editImage';
const EDIT_FIELDS = TOOL_FIELDS.atelier_editImage;

export function editImageTool(deps: GenerateDeps): vscode.LanguageModelTool<unknown> {
  return {
    async prepareInvocation(options) {
      try {
        const input = parseEditImageInput(options.input);
        const folders = workspaceFolders();
        const image = await workspacePath(input.image, 'image', folders, 'input');
        const out = input.path === undefined ? undefined : await workspacePath(input.path, 'path', folders, 'output');
        return confirmWrite('Edit an image with Atelier?', [
          `Atelier ${input.mask ? `repaints the part of \`${shownPath(image, folders)}\` that \`${input.mask}\` marks` : input.region ? `repaints the ${input.region.width}×${input.region.height} region at (${input.region.x}, ${input.region.y}) of \`${shownPath(image, folders)}\`` : `makes a variation of \`${shownPath(image, folders)}\``} (strength ${input.strength}) showing: *${input.prompt.replace(/[*_`[\]]/g, '\\$&')}*. The original is not changed.`,
          out ? targetLine(out, folders) : `It writes a new file beside \`${shownPath(image, folders)}\`, named after it.`,
        ]);
      } catch {
        return { invocationMessage: 'Checking the edit request…' };
      }
    },
    invoke(options, token) {
      return asToolResult(deps, EDIT, EDIT_FIELDS, async () => {
        const input = parseEditImageInput(options.input);
        const folders = workspaceFolders();
        const image = await workspacePath(input.image, 'image', folders, 'input');
        const out = input.path === undefined ? undefined : await workspacePath(input.path, 'path', folders, 'output');
        const source = await readSource(image, folders);
        const maskFile = input.mask === undefined ? undefined : await workspacePath(input.mask, 'mask', folders, 'input');
        const maskImage = maskFile === undefined ? undefined : await readSource(maskFile, folders, 'mask');
        if (maskImage && (maskImage.width !== source.width || maskImage.height !== source.height)) throw new ToolInputError('mask', `the mask is ${maskImage.width}×${maskImage.height} but the image is ${source.width}×${source.height}; give a mask of the image's size, or a region`);
        const mask = maskImage?.bytes ?? (input.region ? { width: source.width, height: source.height, channels: 1 as const, data: regionMask(source, input.region) } : undefined);
        const model = await toolModel(deps);
        if ('problem' in model) return `${EDIT} was not run: ${model.problem}`;
        const settings = jobSettings(readSettings());
        const job = buildJob({
          modelDir: model.dir,
          prompt: input.prompt,
          settings: { ...settings, ...(input.seed === undefined ? {} : { seed: input.seed }), ...(input.negativePrompt === undefined ? {} : { negativePrompt: input.negativePrompt }) },
          // Inpainting keeps every pixel outside the mask bit-exact (the pipeline, or the host's paste-back for a server).
          source: mask ? { kind: 'inpaint', initImage: source.bytes, strength: input.strength, mask, maskBlur: 0 } : { kind: 'img2img', initImage: source.bytes, strength: input.strength },
          output: out ? targetOfFile(out) : { dir: path.dirname(image) },
          ...(out ? {} : { nameAfter: { source: path.basename(image, path.extname(image)) } }),
          labels: { initImageLabel: shownPath(image, folders), ...(maskFile ? { maskLabel: shownPath(maskFile, folders) } : {}) },
          files: { init: image, ...(maskFile ? { mask: maskFile } : {}) },
        });
        const { image: saved, recipe } = await runWithProgress(token, (signal, onEvent) => generateAndSaveWithRecipe(deps, job, { signal, onEvent }));
        // The size written (the working resolution may differ from the source's), read from the new file's header.
        const written = await readSource(saved, folders);
        const where = input.mask ? ` where ${shownPath(maskFile ?? '', folders)} marks` : input.region ? ` in the region x ${input.region.x}, y ${input.region.y}, ${input.region.width}×${input.region.height}` : '';
        return writtenText(`Edited ${shownPath(image, folders)} (unchanged)${where} into`, { saved, requested: out ?? saved, width: written.width, height: written.height, seed: job.request.sampling.seed, model: path.basename(model.dir), recipe }, folders);
      });
    },
  };
}

const UPSCALE = 'atelier_upscaleImage';

export function upscaleImageTool(deps: GenerateDeps): vscode.LanguageModelTool<unknown> {
  return {
    async prepareInvocation(options) {
      try {
        const input = parseUpscaleImageInput(options.input);
        const folders = workspaceFolders();
        const image = await workspacePath(input.image, 'image', folders, 'input');
        const out = input.path === undefined ? undefined : await workspacePath(input.path, 'path', folders, 'output');
        const target = upscaleTarget(image, input.scale);
        return confirmWrite('Upscale an image with Atelier?', [`Atelier upscales \`${shownPath(image, folders)}\` ${input.scale}× with its built-in upscaler. The original is not changed.`, targetLine(out ?? path.join(target.dir, target.stem + target.ext), folders)]);
      } catch {
        return { invocationMessage: 'Checking the upscale request…' };
      }
    },
    invoke(options, token) {
      return asToolResult(deps, UPSCALE, TOOL_FIELDS.atelier_upscaleImage, async () => {
        const input = parseUpscaleImageInput(options.input);
        const folders = workspaceFolders();
        const image = await workspacePath(input.image, 'image', folders, 'input');
        const out = input.path === undefined ? undefined : await workspacePath(input.path, 'path', folders, 'output');
        const source = await readSource(image, folders);
        const target = out ? targetOfFile(out) : upscaleTarget(image, input.scale);
        const requested = path.join(target.dir, target.stem + target.ext);
        await checkWritableFolder(target.dir);
        const settings = readSettings();
        const { saved, width, height } = await runWithProgress(token, async (signal, onEvent) => {
          const result = await deps.backend().upscale({ image: source.bytes, scale: input.scale, model: 'slim', executionProvider: settings.executionProvider }, callbacksFor(onEvent, signal));
          return { saved: await saveUpscaled(source.bytes, result, target, { writeMetadata: settings.writeMetadata }), width: result.width, height: result.height };
        });
        return writtenText(`Upscaled ${shownPath(image, folders)} (unchanged) ${input.scale}× into`, { saved, requested, width, height }, folders);
      });
    },
  };
}

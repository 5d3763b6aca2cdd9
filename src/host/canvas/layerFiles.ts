/**
 * A canvas document on disk: the image plus one file per layer beside it, so layers are versionable
 * and reusable (`<name>.mask.png`, `.sketch.png`, `.depth.png`, `.pose.json` + `.pose.png`,
 * `.canny.png`). Loading reports what it had to fix as notices; saving replaces each file atomically.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { canny, luminance } from '../../shared/canvas/canny';
import { fromOpenPoseJson, rasterizePose, resizePose, toOpenPoseJson, type PoseDocument } from '../../shared/canvas/openpose';
import { RASTER_LAYERS, type EdgeSettings, type RasterLayer } from '../../shared/protocol/canvas';
import { insertITxt, readTextChunks } from '../output/pngText';
import { replaceFile } from '../output/saveImage';
import { decodeGrayAt, decodeRgba, encodePng } from '../images/imageCodec';
import { CanvasModel, DEFAULT_EDGES, emptyLayers } from './canvasModel';
import { FILE_KINDS, readBounded } from '../../shared/files/boundedRead';

export interface LayerPaths {
  readonly mask: string;
  readonly sketch: string;
  readonly depth: string;
  readonly poseJson: string;
  readonly posePng: string;
  readonly canny: string;
}

export function layerPaths(imagePath: string): LayerPaths {
  const dir = path.dirname(imagePath);
  const stem = path.basename(imagePath, path.extname(imagePath));
  const at = (suffix: string): string => path.join(dir, `${stem}.${suffix}`);
  return { mask: at('mask.png'), sketch: at('sketch.png'), depth: at('depth.png'), poseJson: at('pose.json'), posePng: at('pose.png'), canny: at('canny.png') };
}

/** Is this file one of a canvas's layer files (so history and "Open in Canvas" skip it)? */
export function isLayerFile(file: string): boolean {
  return /\.(mask|sketch|depth|pose|canny)\.png$/i.test(file);
}

const CANNY_KEY = 'atelier-canny';

export interface LoadedCanvas {
  readonly model: CanvasModel;
  /** Things fixed while loading (a resized mask, an unreadable pose file), worded for the user. */
  readonly notices: readonly string[];
}

async function loadRasterLayer(file: string, layer: RasterLayer, width: number, height: number, notices: string[]): Promise<Uint8Array | undefined> {
  if (!existsSync(file)) return undefined;
  const name = path.basename(file);
  try {
    const { data, original } = await decodeGrayAt(await readBounded(file, FILE_KINDS.image), name, { width, height });
    if (original.width !== width || original.height !== height) {
      notices.push(`${name} is ${original.width}×${original.height}, the image is ${width}×${height}: the ${layer} layer was resized to fit (saved at the new size on the next save).`);
    }
    return data;
  } catch (error) {
    notices.push(`${name} could not be read, so the ${layer} layer starts empty (the file is left as it is until you save): ${(error as Error).message}`);
    return undefined;
  }
}

async function loadPose(file: string, width: number, height: number, notices: string[]): Promise<PoseDocument> {
  const empty: PoseDocument = { width, height, people: [] };
  if (!existsSync(file)) return empty;
  try {
    const pose = fromOpenPoseJson((await readBounded(file, FILE_KINDS.poseJson)).toString('utf8'), { width, height });
    if (pose.width === width && pose.height === height) return pose;
    notices.push(`${path.basename(file)} was made for ${pose.width}×${pose.height}; its skeletons were scaled to ${width}×${height}.`);
    return resizePose(pose, width, height);
  } catch (error) {
    notices.push(`${path.basename(file)} was not loaded: ${(error as Error).message}`);
    return empty;
  }
}

async function loadEdges(file: string): Promise<EdgeSettings> {
  if (!existsSync(file)) return DEFAULT_EDGES;
  const text = readTextChunks(await readBounded(file, FILE_KINDS.image)).get(CANNY_KEY) ?? '';
  const low = Number(/low=(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? DEFAULT_EDGES.low);
  const high = Number(/high=(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? DEFAULT_EDGES.high);
  return low <= high ? { enabled: true, low, high } : { ...DEFAULT_EDGES, enabled: true };
}

export async function loadCanvas(imagePath: string): Promise<LoadedCanvas> {
  const name = path.basename(imagePath);
  const notices: string[] = [];
  const base = await decodeRgba(await readBounded(imagePath, FILE_KINDS.image), name, (notice) => notices.push(`${notice}.`));
  const { width, height } = base;
  const paths = layerPaths(imagePath);
  const layers = emptyLayers(width, height);
  for (const layer of RASTER_LAYERS) {
    const loaded = await loadRasterLayer(paths[layer], layer, width, height, notices);
    if (loaded) layers[layer] = loaded;
  }
  const pose = await loadPose(paths.poseJson, width, height, notices);
  const edges = await loadEdges(paths.canny);
  return { model: new CanvasModel(width, height, base.data, layers, pose, edges), notices };
}

/** The canny edge map of the base image (white edges on black). */
export function edgeMap(model: CanvasModel): Uint8Array {
  return canny(luminance(model.base, model.width, model.height, 4), model.width, model.height, model.edges);
}

/**
 * Writes the layers that hold something, or whose file already exists (so clearing a layer and
 * saving clears its file too). Returns the files written.
 */
export async function saveCanvasLayers(imagePath: string, model: CanvasModel): Promise<string[]> {
  const paths = layerPaths(imagePath);
  const size = { width: model.width, height: model.height };
  const written: string[] = [];
  const write = async (file: string, bytes: Uint8Array): Promise<void> => {
    await replaceFile(file, bytes);
    written.push(file);
  };
  for (const layer of RASTER_LAYERS) {
    if (model.hasContent(layer) || existsSync(paths[layer])) await write(paths[layer], await encodePng(model.layer(layer), size, 1));
  }
  if (model.pose.people.length > 0 || existsSync(paths.poseJson)) {
    await write(paths.poseJson, new TextEncoder().encode(toOpenPoseJson(model.pose)));
    await write(paths.posePng, await encodePng(rasterizePose(model.pose), size, 3));
  }
  // A disabled edge layer leaves an existing canny file alone: it is the user's control image.
  if (model.edges.enabled) {
    const png = await encodePng(edgeMap(model), size, 1);
    await write(paths.canny, insertITxt(png, CANNY_KEY, `low=${model.edges.low} high=${model.edges.high}`));
  }
  return written;
}

/**
 * Messages between the host and the canvas webview (the "Atelier Canvas" custom editor). The host
 * owns the document (base image, layers, undo stack); the webview draws and reports one edit per
 * gesture. Bitmaps cross as Uint8Array (structured clone), never as JSON number arrays.
 */
import type { PoseDocument } from '../canvas/openpose';
import type { Rect } from '../canvas/rect';
import type { ControlType } from '../request';

/** Protocol version; a webview built for another version is told to reload. */
export const CANVAS_PROTOCOL_VERSION = 1;

/** Single-channel layers painted with brushes (W×H u8). */
export const RASTER_LAYERS = ['mask', 'sketch', 'depth'] as const;
export type RasterLayer = (typeof RASTER_LAYERS)[number];
export type CanvasLayer = RasterLayer | 'pose' | 'edges';

/** The canny control layer: computed from the base image, so only its thresholds are stored. */
export interface EdgeSettings {
  readonly enabled: boolean;
  readonly low: number;
  readonly high: number;
}

/** Pixels to add on each side of the image before generating (outpainting); all 0: not extended. */
export interface CanvasExtend {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export const NO_EXTEND: CanvasExtend = { left: 0, right: 0, top: 0, bottom: 0 };
/** The extend buttons' step (a multiple of 8, as the pipeline needs) and the most per side. */
export const EXTEND_STEP = 64;
export const MAX_EXTEND = 1024;
export const EXTEND_SIDES = ['left', 'right', 'top', 'bottom'] as const;

export function isExtended(extend: CanvasExtend): boolean {
  return EXTEND_SIDES.some((side) => extend[side] > 0);
}

export interface CanvasSnapshot {
  readonly width: number;
  readonly height: number;
  /** Base image, RGBA u8 interleaved. */
  readonly base: Uint8Array;
  readonly layers: Readonly<Record<RasterLayer, Uint8Array>>;
  readonly pose: PoseDocument;
  readonly edges: EdgeSettings;
  /** The pending canvas extension (outpainting on the next Generate). */
  readonly extend: CanvasExtend;
}

/** Host → canvas. */
export type ToCanvas =
  /** The whole document, after `ready` (also after the webview was rebuilt) and after revert. */
  | ({ readonly type: 'init'; readonly v: number; readonly fileName: string } & CanvasSnapshot)
  /** Replace a rectangle of a raster layer (undo, redo). */
  | { readonly type: 'patch'; readonly layer: RasterLayer; readonly rect: Rect; readonly pixels: Uint8Array }
  /** Replace the pose layer (undo, redo, import). */
  | { readonly type: 'pose'; readonly pose: PoseDocument }
  /** Replace the edge settings (undo, redo). */
  | { readonly type: 'edges'; readonly edges: EdgeSettings }
  /** Replace the canvas extension (undo, redo). */
  | { readonly type: 'extend'; readonly extend: CanvasExtend }
  /** A line for the status bar of the canvas (notices, generation progress, errors worded by the host). */
  | { readonly type: 'status'; readonly level: 'info' | 'warning' | 'error'; readonly message: string }
  /** Generation from the canvas started or finished (enables/disables the Generate button). */
  | { readonly type: 'busy'; readonly busy: boolean }
  /** The installed ControlNets, answering `listControlNets` (empty when none are configured). */
  | { readonly type: 'controlNets'; readonly options: readonly ControlNetOption[] }
  /** Select a layer (and show it), e.g. the mask layer for "Atelier: Inpaint…". */
  | { readonly type: 'focusLayer'; readonly layer: CanvasLayer }
  /** The shared generation settings Generate will use ("sd15 · 20 steps · Euler · guidance 7.5 · random seed"). */
  | { readonly type: 'generation'; readonly summary: string };

/** Layers that can steer generation as ControlNet inputs. */
export const CONTROL_LAYERS = ['pose', 'depth', 'sketch', 'edges'] as const;
export type ControlLayer = (typeof CONTROL_LAYERS)[number];

/** The ControlNet types each layer feeds, in order of preference (a sketch suits scribble, else lineart). */
export const LAYER_CONTROL_TYPES: Readonly<Record<ControlLayer, readonly ControlType[]>> = {
  pose: ['openpose'],
  depth: ['depth'],
  sketch: ['scribble', 'lineart'],
  edges: ['canny'],
};

/** Largest strength the canvas offers for a control layer. */
export const MAX_LAYER_CONTROL_SCALE = 2;

export interface CanvasControl {
  readonly layer: ControlLayer;
  /** ControlNet conditioning scale, 0…MAX_LAYER_CONTROL_SCALE. */
  readonly scale: number;
  /** The chosen ControlNet (an id from the host's `controlNets` list); absent: the first of the layer's type. */
  readonly controlNet?: string;
}

/** An installed ControlNet the canvas can offer for a layer; the webview sees ids and names, never paths. */
export interface ControlNetOption {
  readonly id: string;
  readonly label: string;
  readonly type: ControlType | undefined;
}

/** What "Generate from canvas" asks for; the host fills in model, sampler and files. */
export interface CanvasGenerateOptions {
  readonly prompt: string;
  /** img2img/inpaint strength, 0…1. */
  readonly strength: number;
  /** Mask feather radius in pixels. */
  readonly maskBlur: number;
  /** Inpaint only around the mask (crop, generate at the model's native size, paste back). */
  readonly onlyMasked: boolean;
  /** Control layers the user switched on (ControlNet inputs), with their strengths. */
  readonly controls: readonly CanvasControl[];
}

/** Canvas → host. */
export type FromCanvas =
  /** The webview loaded (or was rebuilt) and wants the document. */
  | { readonly type: 'ready'; readonly v: number }
  /** One finished gesture on a raster layer: the new pixels of the touched rectangle. */
  | { readonly type: 'rasterEdit'; readonly layer: RasterLayer; readonly label: string; readonly rect: Rect; readonly pixels: Uint8Array }
  /** One finished pose gesture: the whole pose layer after it. */
  | { readonly type: 'poseEdit'; readonly label: string; readonly pose: PoseDocument }
  /** The edge layer was switched or its thresholds moved. */
  | { readonly type: 'edgesEdit'; readonly edges: EdgeSettings }
  /** "Extend canvas": the sides to add on the next Generate (one undoable edit per click). */
  | { readonly type: 'extendEdit'; readonly extend: CanvasExtend }
  /** Ask the host to import OpenPose JSON, or a depth image, chosen in a file dialog. */
  | { readonly type: 'import'; readonly what: 'pose' | 'depth' }
  /** Ask the host to export the pose layer as OpenPose JSON (save dialog). */
  | { readonly type: 'exportPose' }
  /** "Generate from canvas". */
  | { readonly type: 'generate'; readonly options: CanvasGenerateOptions }
  /** A control layer was switched on: the host answers with `controlNets`. */
  | { readonly type: 'listControlNets' }
  /** Run a built-in detector on the base image: people → pose layer skeletons, or a person → mask. */
  | { readonly type: 'detect'; readonly what: 'pose' | 'person' }
  /** Upscale the base image with the built-in upscaler (a new file beside it). */
  | { readonly type: 'upscale'; readonly scale: 2 | 4 }
  /** Open VS Code's settings at the atelier.* generation settings. */
  | { readonly type: 'openSettings' };

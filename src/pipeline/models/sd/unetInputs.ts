/**
 * Recognises the optional UNet inputs that select a pipeline: ControlNet residuals (layout c),
 * fused ControlNet images and scales (layout a), and the 9-channel inpainting sample.
 */
import type { ValueInfo } from '../../backends/onnx';

const DOWN_RESIDUAL = [/^down_block_(\d+)_additional_residual$/, /^down_block_res_samples\.(\d+)$/];
const MID_RESIDUAL = ['mid_block_additional_residual', 'mid_block_res_sample'];
export const FUSED_CONDS = 'controlnet_conds';
export const FUSED_SCALES = 'conditioning_scales';

function downIndex(name: string): number | undefined {
  for (const pattern of DOWN_RESIDUAL) {
    const match = pattern.exec(name);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** ControlNet residual tensors in canonical order: down blocks 0…n−1, then the mid block. */
export function residualOrder(values: readonly ValueInfo[]): ValueInfo[] {
  const down = values.filter((v) => downIndex(v.name) !== undefined).sort((a, b) => (downIndex(a.name) ?? 0) - (downIndex(b.name) ?? 0));
  const mid = values.filter((v) => MID_RESIDUAL.includes(v.name));
  return down.length > 0 || mid.length > 0 ? [...down, ...mid] : [];
}

export function isResidualName(name: string): boolean {
  return downIndex(name) !== undefined || MID_RESIDUAL.includes(name);
}

/** SD's down-block channel widths, for zero residuals when the graph leaves channels symbolic. */
const SD_DOWN_CHANNELS = [320, 320, 320, 320, 640, 640, 640, 1280, 1280, 1280, 1280, 1280];

/**
 * Shapes of the residuals for latent h×w and `count` tensors (down blocks + mid): each down stage
 * halves with a stride-2 conv (⌈h/2⌉) after every third block, the mid block sits at the last stage.
 */
export function residualShapes(inputs: readonly ValueInfo[], batch: number, height: number, width: number): number[][] {
  const downCount = inputs.length - 1;
  const shapes: number[][] = [];
  let h = height;
  let w = width;
  for (let i = 0; i < downCount; i++) {
    if (i > 0 && i % 3 === 0) {
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
    }
    const declared = inputs[i].shape[1];
    shapes.push([batch, typeof declared === 'number' ? declared : SD_DOWN_CHANNELS[i] ?? 1280, h, w]);
  }
  const declaredMid = inputs[downCount].shape[1];
  shapes.push([batch, typeof declaredMid === 'number' ? declaredMid : 1280, h, w]);
  return shapes;
}

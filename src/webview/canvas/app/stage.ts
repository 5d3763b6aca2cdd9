/**
 * The drawing surface: the base image and one canvas per layer, stacked and moved together by one
 * CSS transform (zoom and pan). Layer canvases are redrawn for dirty rectangles only.
 */
import type { PoseDocument } from '../../../shared/canvas/openpose';
import type { Rect } from '../../../shared/canvas/rect';
import { NO_EXTEND, type CanvasExtend, type RasterLayer } from '../../../shared/protocol/canvas';
import { h } from '../../common/dom';
import { renderLayerRect } from '../view/layerColors';
import { drawPose } from '../view/poseRenderer';
import { fitViewport, type Viewport } from '../view/viewport';
import type { JointRef } from '../tools/poseTool';

export type ShownLayer = RasterLayer | 'pose' | 'edges';
export const SHOWN_LAYERS: readonly ShownLayer[] = ['mask', 'sketch', 'depth', 'edges', 'pose'];

interface LayerView {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D;
  readonly pixels: ImageData;
}

export class Stage {
  readonly root: HTMLElement;
  readonly surface: HTMLElement;
  private readonly views = new Map<ShownLayer, LayerView>();
  private readonly base: HTMLCanvasElement;
  /** The grown canvas of an outpaint, drawn around the image (image pixels, like everything on the surface). */
  private readonly extendFrame: HTMLElement;
  private extend: CanvasExtend = NO_EXTEND;
  viewport: Viewport = { zoom: 1, offsetX: 0, offsetY: 0 };

  constructor(readonly width: number, readonly height: number, baseRgba: Uint8Array) {
    const canvas = (name: string): HTMLCanvasElement => h('canvas', { width: String(width), height: String(height), class: `layer layer-${name}`, 'data-layer': name });
    this.base = canvas('base');
    const ctx = this.base.getContext('2d');
    if (!ctx) throw new Error('this webview cannot create a 2D canvas');
    const image = ctx.createImageData(width, height);
    image.data.set(baseRgba);
    ctx.putImageData(image, 0, 0);
    this.extendFrame = h('div', { class: 'extend-frame', 'data-name': 'extend-frame' });
    this.extendFrame.hidden = true;
    this.surface = h('div', { class: 'surface' }, [this.extendFrame, this.base]);
    // Depth is drawn under the other layers: it is opaque when shown.
    for (const name of ['depth', 'edges', 'sketch', 'mask', 'pose'] as const) {
      const c = canvas(name);
      const layerCtx = c.getContext('2d');
      if (!layerCtx) throw new Error('this webview cannot create a 2D canvas');
      this.views.set(name, { canvas: c, ctx: layerCtx, pixels: layerCtx.createImageData(width, height) });
      this.surface.append(c);
    }
    this.root = h('div', { class: 'stage', tabindex: '0', 'aria-label': 'Canvas' }, [this.surface]);
  }

  /** Redraws a rectangle of a single-channel layer from its bitmap. */
  drawRect(layer: RasterLayer | 'edges', bitmap: Uint8Array, rect: Rect): void {
    const view = this.views.get(layer);
    if (!view) return;
    renderLayerRect(layer, bitmap, this.width, rect, view.pixels.data);
    view.ctx.putImageData(view.pixels, 0, 0, rect.x, rect.y, rect.width, rect.height);
  }

  drawAll(layer: RasterLayer | 'edges', bitmap: Uint8Array): void {
    this.drawRect(layer, bitmap, { x: 0, y: 0, width: this.width, height: this.height });
  }

  drawPose(pose: PoseDocument, selected: JointRef | undefined): void {
    const view = this.views.get('pose');
    if (view) drawPose(view.ctx, pose, selected, Math.max(3, 6 / this.viewport.zoom));
  }

  setLayerStyle(layer: ShownLayer, visible: boolean, opacity: number): void {
    const view = this.views.get(layer);
    if (!view) return;
    view.canvas.style.display = visible ? '' : 'none';
    view.canvas.style.opacity = String(opacity);
  }

  /** Shows the sides an outpaint will add (nothing when all are 0). */
  setExtend(extend: CanvasExtend): void {
    this.extend = extend;
    const { left, right, top, bottom } = extend;
    this.extendFrame.hidden = left + right + top + bottom === 0;
    Object.assign(this.extendFrame.style, { left: `${-left}px`, top: `${-top}px`, width: `${this.width + left + right}px`, height: `${this.height + top + bottom}px` });
  }

  applyViewport(view: Viewport): void {
    this.viewport = view;
    this.surface.style.transform = `translate(${view.offsetX}px, ${view.offsetY}px) scale(${view.zoom})`;
    // Crisp pixels when zoomed in, smooth when zoomed out.
    this.surface.style.imageRendering = view.zoom >= 2 ? 'pixelated' : 'auto';
  }

  /** Fits the image and any extension around it into the view. */
  fit(): Viewport {
    const box = this.root.getBoundingClientRect();
    const { left, right, top, bottom } = this.extend;
    const whole = fitViewport(this.width + left + right, this.height + top + bottom, Math.max(64, box.width), Math.max(64, box.height));
    const view = { ...whole, offsetX: whole.offsetX + left * whole.zoom, offsetY: whole.offsetY + top * whole.zoom };
    this.applyViewport(view);
    return view;
  }

  /** Image coordinates of a pointer event, whatever the zoom and pan. */
  toImage(event: { clientX: number; clientY: number }): { x: number; y: number } {
    const box = this.base.getBoundingClientRect();
    return { x: ((event.clientX - box.left) / box.width) * this.width, y: ((event.clientY - box.top) / box.height) * this.height };
  }
}

/**
 * Zoom and pan as a pure transform: screen = offset + image × zoom. Zooming keeps the image point
 * under the cursor fixed; "fit" centres the whole image in the viewport.
 */
export interface Viewport {
  readonly zoom: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

export const MIN_ZOOM = 1 / 32;
export const MAX_ZOOM = 32;

export function fitViewport(imageWidth: number, imageHeight: number, viewWidth: number, viewHeight: number, margin = 16): Viewport {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min((viewWidth - 2 * margin) / imageWidth, (viewHeight - 2 * margin) / imageHeight)));
  return { zoom, offsetX: (viewWidth - imageWidth * zoom) / 2, offsetY: (viewHeight - imageHeight * zoom) / 2 };
}

export function zoomAt(view: Viewport, screenX: number, screenY: number, factor: number): Viewport {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
  const imageX = (screenX - view.offsetX) / view.zoom;
  const imageY = (screenY - view.offsetY) / view.zoom;
  return { zoom, offsetX: screenX - imageX * zoom, offsetY: screenY - imageY * zoom };
}

export function panBy(view: Viewport, dx: number, dy: number): Viewport {
  return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

export function screenToImage(view: Viewport, screenX: number, screenY: number): { x: number; y: number } {
  return { x: (screenX - view.offsetX) / view.zoom, y: (screenY - view.offsetY) / view.zoom };
}

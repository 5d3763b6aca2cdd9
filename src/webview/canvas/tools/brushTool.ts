/**
 * Brush and eraser on a single-channel layer as a small state machine: idle → drawing. A mark is
 * taken at pointer-down, the dirty rectangle grows while drawing, pointer-up commits one edit (one
 * undo entry per stroke), Escape rolls back to the mark.
 */
import { copyRect, pasteRect, unionRect, type Rect } from '../../../shared/canvas/rect';
import { stamp_, strokeSegment_, type Bitmap, type Brush } from '../mask/maskOps';

export interface StrokeEdit {
  readonly rect: Rect;
  readonly pixels: Uint8Array;
}

type State = { readonly kind: 'idle' } | { kind: 'drawing'; readonly mark: Uint8Array; dirty: Rect | undefined; lastX: number; lastY: number };

export class BrushTool {
  private state: State = { kind: 'idle' };

  constructor(private readonly bitmap: Bitmap) {}

  get drawing(): boolean {
    return this.state.kind === 'drawing';
  }

  /** Starts a stroke with one dab; returns the rectangle to redraw. */
  down(x: number, y: number, brush: Brush): Rect | undefined {
    const mark = this.bitmap.data.slice();
    const dirty = stamp_(this.bitmap, x, y, brush);
    this.state = { kind: 'drawing', mark, dirty, lastX: x, lastY: y };
    return dirty;
  }

  move(x: number, y: number, brush: Brush): Rect | undefined {
    if (this.state.kind !== 'drawing') return undefined;
    const rect = strokeSegment_(this.bitmap, this.state.lastX, this.state.lastY, x, y, brush);
    this.state.lastX = x;
    this.state.lastY = y;
    if (rect) this.state.dirty = unionRect(this.state.dirty, rect);
    return rect;
  }

  /** Ends the stroke; returns the edit (the new pixels of everything the stroke touched). */
  up(): StrokeEdit | undefined {
    if (this.state.kind !== 'drawing') return undefined;
    const { dirty } = this.state;
    this.state = { kind: 'idle' };
    return dirty ? { rect: dirty, pixels: copyRect(this.bitmap.data, this.bitmap.width, dirty) } : undefined;
  }

  /** Escape: puts back what the stroke changed; returns the rectangle to redraw. */
  cancel(): Rect | undefined {
    if (this.state.kind !== 'drawing') return undefined;
    const { dirty, mark } = this.state;
    this.state = { kind: 'idle' };
    if (dirty) pasteRect(this.bitmap.data, this.bitmap.width, dirty, copyRect(mark, this.bitmap.width, dirty));
    return dirty;
  }
}

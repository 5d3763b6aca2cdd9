/**
 * The canvas webview: builds the UI, routes pointer input to the active tool, keeps the layer
 * bitmaps it draws from, and reports each finished gesture to the host (which owns the document and
 * the undo stack). Everything the host sends replaces local state; nothing here touches files.
 */
import { canny, luminance } from '../../../shared/canvas/canny';
import { setJointVisible, type PoseDocument } from '../../../shared/canvas/openpose';
import { copyRect, pasteRect, type Rect } from '../../../shared/canvas/rect';
import { CANVAS_PROTOCOL_VERSION, CONTROL_LAYERS, type CanvasExtend, type ControlLayer, type ControlNetOption, type EdgeSettings, type FromCanvas, type RasterLayer, type ToCanvas } from '../../../shared/protocol/canvas';
import { h } from '../../common/dom';
import type { HostChannel } from '../../common/vscodeApi';
import type { Bitmap, Brush } from '../mask/maskOps';
import { BrushTool } from '../tools/brushTool';
import { drawGradient_ } from '../tools/gradient';
import { PoseTool, replacePerson, type JointRef } from '../tools/poseTool';
import { panBy, zoomAt } from '../view/viewport';
import { Stage, SHOWN_LAYERS, type ShownLayer } from './stage';
import { sidebarContent } from './sidebar';
import { LAYER_LABELS, restoreUiState, TOOLS_FOR, type CanvasUiState, type Tool } from './uiState';

type Init = Extract<ToCanvas, { type: 'init' }>;

interface Doc {
  readonly width: number;
  readonly height: number;
  readonly base: Uint8Array;
  readonly layers: Record<RasterLayer, Bitmap>;
  pose: PoseDocument;
  edges: EdgeSettings;
  extend: CanvasExtend;
  edgeMap?: { key: string; map: Uint8Array };
}

export class CanvasApp {
  private ui: CanvasUiState;
  private doc: Doc | undefined;
  private stage: Stage | undefined;
  private brush: BrushTool | undefined;
  private readonly poseTool = new PoseTool();
  private selected: JointRef | undefined;
  private gradient: { x0: number; y0: number; mark: Uint8Array } | undefined;
  private pan: { x: number; y: number } | undefined;
  private spaceHeld = false;
  private busy = false;
  private controlNets: readonly ControlNetOption[] = [];
  private controlNetsRequested = false;
  /** What Generate will use (the shared settings), as the host words it. */
  private generationSummary = '';
  private readonly status = h('span', { class: 'status-text', role: 'status' });
  private readonly zoomLabel = h('span', { class: 'zoom' });
  private readonly sidebar = h('aside', { class: 'sidebar' });
  private readonly main = h('main', { class: 'main' });

  constructor(private readonly host: HostChannel<FromCanvas, CanvasUiState>, root: HTMLElement) {
    this.ui = restoreUiState(host.loadState());
    root.append(h('div', { class: 'canvas-app' }, [this.sidebar, this.main]));
    window.addEventListener('message', (event: MessageEvent<ToCanvas>) => this.receive(event.data));
    window.addEventListener('keydown', (e) => this.onKey(e, true));
    window.addEventListener('keyup', (e) => this.onKey(e, false));
    window.addEventListener('resize', () => this.fit());
    this.main.append(h('p', { class: 'loading' }, ['Loading image…']));
    host.post({ type: 'ready', v: CANVAS_PROTOCOL_VERSION });
  }

  // ---- host messages -------------------------------------------------------------------------

  private receive(message: ToCanvas): void {
    switch (message.type) {
      case 'init':
        return this.init(message);
      case 'focusLayer':
        return this.selectLayer(message.layer);
      case 'patch': {
        const doc = this.doc;
        if (!doc) return;
        pasteRect(doc.layers[message.layer].data, doc.width, message.rect, message.pixels);
        this.stage?.drawRect(message.layer, doc.layers[message.layer].data, message.rect);
        return;
      }
      case 'pose':
        if (!this.doc) return;
        this.doc.pose = message.pose;
        this.selected = undefined;
        this.drawPose();
        // The pose buttons (Export JSON, Mirror, Delete person …) follow the new skeletons.
        this.renderSidebar();
        return;
      case 'edges':
        if (!this.doc) return;
        this.doc.edges = message.edges;
        this.renderSidebar();
        this.drawEdges();
        return;
      case 'status':
        this.status.textContent = message.message;
        this.status.dataset.level = message.level;
        return;
      case 'busy':
        this.busy = message.busy;
        this.renderSidebar();
        return;
      case 'controlNets':
        this.controlNets = message.options;
        this.renderSidebar();
        return;
      case 'generation':
        this.generationSummary = message.summary;
        this.renderSidebar();
        return;
      case 'extend':
        if (!this.doc) return;
        this.doc.extend = message.extend;
        this.showExtend();
        return;
    }
  }

  private init(message: Init): void {
    const { width, height } = message;
    const bitmap = (data: Uint8Array): Bitmap => ({ width, height, data });
    this.doc = { width, height, base: message.base, layers: { mask: bitmap(message.layers.mask), sketch: bitmap(message.layers.sketch), depth: bitmap(message.layers.depth) }, pose: message.pose, edges: message.edges, extend: message.extend };
    this.stage = new Stage(width, height, message.base);
    this.brush = undefined;
    this.main.replaceChildren(this.stage.root, h('footer', { class: 'statusbar' }, [h('span', { class: 'file' }, [`${message.fileName} · ${width}×${height}`]), this.zoomLabel, this.status]));
    for (const layer of ['mask', 'sketch', 'depth'] as const) this.stage.drawAll(layer, this.doc.layers[layer].data);
    this.drawEdges();
    this.drawPose();
    this.applyLayerStyles();
    this.attachPointer(this.stage);
    this.stage.setExtend(this.doc.extend);
    this.renderSidebar();
    this.requestControlNets();
    requestAnimationFrame(() => this.fit());
  }

  /** Asks the host for the installed ControlNets once a control layer is in use (listing them starts the worker). */
  private requestControlNets(): void {
    if (this.controlNetsRequested || !CONTROL_LAYERS.some((c) => this.ui.controls[c])) return;
    this.controlNetsRequested = true;
    this.host.post({ type: 'listControlNets' });
  }

  // ---- pointer input -------------------------------------------------------------------------

  private attachPointer(stage: Stage): void {
    const el = stage.root;
    el.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    el.addEventListener('pointermove', (e) => this.onPointerMove(e));
    el.addEventListener('pointerup', (e) => this.onPointerUp(e));
    el.addEventListener('pointercancel', () => this.cancelGesture());
    el.addEventListener('wheel', (e) => {
      e.preventDefault();
      const box = el.getBoundingClientRect();
      this.setViewport(zoomAt(stage.viewport, e.clientX - box.left, e.clientY - box.top, Math.exp(-e.deltaY * 0.0015)));
    }, { passive: false });
  }

  private brushFor(layer: RasterLayer, e: PointerEvent): Brush {
    const eraser = this.ui.tool === 'eraser';
    const value = layer === 'mask' ? (eraser ? 0 : 255) : layer === 'sketch' ? (eraser ? 255 : 0) : eraser ? 0 : this.ui.depthValue;
    // Pen pressure scales the brush when the device reports it.
    const pressure = e.pointerType === 'pen' && e.pressure > 0 ? Math.max(0.1, e.pressure) : 1;
    return { radius: Math.max(0.5, this.ui.brushRadius * pressure), hardness: this.ui.hardness, value };
  }

  private onPointerDown(e: PointerEvent): void {
    const { stage, doc } = this;
    if (!stage || !doc) return;
    stage.root.focus();
    stage.root.setPointerCapture(e.pointerId);
    if (e.button === 1 || this.spaceHeld) {
      this.pan = { x: e.clientX, y: e.clientY };
      return;
    }
    if (e.button !== 0) return;
    const p = stage.toImage(e);
    const layer = this.ui.layer;
    if (layer === 'pose') {
      this.selected = this.poseTool.down(doc.pose, p.x, p.y, 12 / stage.viewport.zoom, e.shiftKey);
      this.drawPose();
      this.renderSidebar();
      return;
    }
    if (layer === 'edges') return;
    this.ensureVisible(layer);
    if (this.ui.tool === 'linear' || this.ui.tool === 'radial') {
      this.gradient = { x0: p.x, y0: p.y, mark: doc.layers.depth.data.slice() };
      return;
    }
    this.brush = new BrushTool(doc.layers[layer]);
    const rect = this.brush.down(p.x, p.y, this.brushFor(layer, e));
    if (rect) stage.drawRect(layer, doc.layers[layer].data, rect);
  }

  private onPointerMove(e: PointerEvent): void {
    const { stage, doc } = this;
    if (!stage || !doc) return;
    if (this.pan) {
      this.setViewport(panBy(stage.viewport, e.clientX - this.pan.x, e.clientY - this.pan.y));
      this.pan = { x: e.clientX, y: e.clientY };
      return;
    }
    const layer = this.ui.layer;
    if (layer === 'pose' && this.poseTool.active) {
      const p = stage.toImage(e);
      const pose = this.poseTool.move(p.x, p.y);
      if (pose) stage.drawPose(pose, this.selected);
      return;
    }
    if (this.gradient) {
      const p = stage.toImage(e);
      this.drawGradient(p.x, p.y);
      return;
    }
    if (!this.brush?.drawing || layer === 'pose' || layer === 'edges') return;
    // Coalesced events keep strokes smooth when the page is busy.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [e];
    for (const ev of events.length > 0 ? events : [e]) {
      const p = stage.toImage(ev);
      const rect = this.brush.move(p.x, p.y, this.brushFor(layer, ev));
      if (rect) stage.drawRect(layer, doc.layers[layer].data, rect);
    }
  }

  private onPointerUp(e: PointerEvent): void {
    const { stage, doc } = this;
    if (!stage || !doc) return;
    if (this.pan) {
      this.pan = undefined;
      return;
    }
    const layer = this.ui.layer;
    if (layer === 'pose') {
      const p = stage.toImage(e);
      const done = this.poseTool.up(p.x, p.y);
      if (done) this.commitPose(done.pose, done.label);
      return;
    }
    if (this.gradient && layer === 'depth') {
      const p = stage.toImage(e);
      this.drawGradient(p.x, p.y);
      this.gradient = undefined;
      this.postRaster('depth', this.ui.tool === 'radial' ? 'Radial gradient' : 'Linear gradient', this.fullRect());
      return;
    }
    if (layer === 'edges' || !this.brush) return;
    const edit = this.brush.up();
    this.brush = undefined;
    if (edit) this.host.post({ type: 'rasterEdit', layer, label: `${LAYER_LABELS[layer]} ${this.ui.tool === 'eraser' ? 'erase' : 'stroke'}`, rect: edit.rect, pixels: edit.pixels });
  }

  /** Escape: the gesture in progress is rolled back and nothing is sent. */
  private cancelGesture(): void {
    const { stage, doc } = this;
    if (!stage || !doc) return;
    const layer = this.ui.layer;
    if (this.brush?.drawing && layer !== 'pose' && layer !== 'edges') {
      const rect = this.brush.cancel();
      if (rect) stage.drawRect(layer, doc.layers[layer].data, rect);
    }
    this.brush = undefined;
    if (this.gradient) {
      doc.layers.depth.data.set(this.gradient.mark);
      stage.drawAll('depth', doc.layers.depth.data);
      this.gradient = undefined;
    }
    if (this.poseTool.cancel()) this.drawPose();
    this.pan = undefined;
  }

  private drawGradient(x: number, y: number): void {
    const { stage, doc, gradient } = this;
    if (!stage || !doc || !gradient) return;
    drawGradient_(doc.layers.depth, { kind: this.ui.tool === 'radial' ? 'radial' : 'linear', x0: gradient.x0, y0: gradient.y0, x1: x, y1: y, near: this.ui.depthValue, far: 0 });
    stage.drawAll('depth', doc.layers.depth.data);
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    const typing = e.target instanceof HTMLElement && (e.target.tagName === 'TEXTAREA' || e.target.tagName === 'INPUT' || e.target.tagName.startsWith('VSCODE-TEXT'));
    if (e.key === ' ' && !typing) {
      this.spaceHeld = down;
      e.preventDefault();
      return;
    }
    if (!down || typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const tools: Record<string, Tool> = { b: 'brush', e: 'eraser', g: 'linear', r: 'radial' };
    const key = e.key.toLowerCase();
    if (key === 'escape') this.cancelGesture();
    else if (tools[key] && TOOLS_FOR[this.ui.layer].includes(tools[key])) this.update({ tool: tools[key] });
    else if (key === '[') this.update({ brushRadius: Math.max(1, Math.round(this.ui.brushRadius / 1.25)) });
    else if (key === ']') this.update({ brushRadius: Math.min(512, Math.round(this.ui.brushRadius * 1.25) + 1) });
    else if (key === '0') this.fit();
    else if ((key === '+' || key === '=') && this.stage) this.zoomCentre(1.25);
    else if (key === '-' && this.stage) this.zoomCentre(0.8);
    else if (key >= '1' && key <= '5') this.selectLayer(SHOWN_LAYERS[Number(key) - 1]);
    else if ((key === 'delete' || key === 'h') && this.ui.layer === 'pose') this.toggleJoint();
  }

  // ---- edits ---------------------------------------------------------------------------------

  private fullRect(): Rect {
    return { x: 0, y: 0, width: this.doc?.width ?? 0, height: this.doc?.height ?? 0 };
  }

  private postRaster(layer: RasterLayer, label: string, rect: Rect): void {
    const doc = this.doc;
    if (!doc) return;
    this.host.post({ type: 'rasterEdit', layer, label, rect, pixels: copyRect(doc.layers[layer].data, doc.width, rect) });
  }

  private wholeLayer(layer: RasterLayer, label: string, make: (b: Bitmap) => Bitmap): void {
    const doc = this.doc;
    if (!doc || !this.stage) return;
    doc.layers[layer].data.set(make(doc.layers[layer]).data);
    this.stage.drawAll(layer, doc.layers[layer].data);
    this.ensureVisible(layer);
    this.postRaster(layer, label, this.fullRect());
  }

  private commitPose(pose: PoseDocument, label: string): void {
    if (!this.doc) return;
    this.doc.pose = pose;
    this.drawPose();
    this.renderSidebar();
    this.host.post({ type: 'poseEdit', label, pose });
  }

  private editPerson(label: string, change: (person: PoseDocument['people'][number]) => PoseDocument['people'][number]): void {
    const doc = this.doc;
    // Without a selected joint the buttons act on the last person added, as Delete person does.
    const index = this.selected?.person ?? (doc ? doc.pose.people.length - 1 : 0);
    if (!doc || index < 0 || index >= doc.pose.people.length) return;
    this.commitPose(replacePerson(doc.pose, index, change(doc.pose.people[index])), label);
  }

  private toggleJoint(): void {
    const sel = this.selected;
    if (!sel || !this.doc) return;
    const visible = this.doc.pose.people[sel.person].keypoints[sel.joint].visible;
    this.editPerson(visible ? 'Hide joint' : 'Show joint', (p) => setJointVisible(p, sel.joint, !visible));
  }

  /** "Extend canvas": one undoable edit per click; the stage frames the grown canvas at once. */
  private setExtend(extend: CanvasExtend): void {
    if (!this.doc) return;
    this.doc.extend = extend;
    this.showExtend();
    this.host.post({ type: 'extendEdit', extend });
  }

  private showExtend(): void {
    if (!this.doc || !this.stage) return;
    this.stage.setExtend(this.doc.extend);
    this.fit();
    this.renderSidebar();
  }

  private setEdges(edges: EdgeSettings): void {
    if (!this.doc) return;
    this.doc.edges = edges;
    this.drawEdges();
    this.host.post({ type: 'edgesEdit', edges });
  }

  // ---- drawing -------------------------------------------------------------------------------

  private drawPose(): void {
    if (this.doc) this.stage?.drawPose(this.doc.pose, this.selected);
  }

  private drawEdges(): void {
    const { doc, stage } = this;
    if (!doc || !stage) return;
    if (!doc.edges.enabled) {
      stage.drawAll('edges', new Uint8Array(doc.width * doc.height));
      return;
    }
    const key = `${doc.edges.low}/${doc.edges.high}`;
    if (doc.edgeMap?.key !== key) doc.edgeMap = { key, map: canny(luminance(doc.base, doc.width, doc.height, 4), doc.width, doc.height, doc.edges) };
    stage.drawAll('edges', doc.edgeMap.map);
  }

  private applyLayerStyles(): void {
    for (const layer of SHOWN_LAYERS) this.stage?.setLayerStyle(layer, this.ui.visible[layer], this.ui.opacity[layer]);
  }

  private ensureVisible(layer: ShownLayer): void {
    if (this.ui.visible[layer]) return;
    this.update({ visible: { ...this.ui.visible, [layer]: true } });
  }

  private setViewport(view: Parameters<Stage['applyViewport']>[0]): void {
    this.stage?.applyViewport(view);
    this.zoomLabel.textContent = `${Math.round(view.zoom * 100)}%`;
    this.drawPose();
  }

  private fit(): void {
    if (!this.stage) return;
    this.setViewport(this.stage.fit());
  }

  private zoomCentre(factor: number): void {
    if (!this.stage) return;
    const box = this.stage.root.getBoundingClientRect();
    this.setViewport(zoomAt(this.stage.viewport, box.width / 2, box.height / 2, factor));
  }

  // ---- sidebar -------------------------------------------------------------------------------

  private update(patch: Partial<CanvasUiState>): void {
    this.ui = { ...this.ui, ...patch };
    this.host.saveState(this.ui);
    this.applyLayerStyles();
    this.renderSidebar();
    this.requestControlNets();
  }

  private selectLayer(layer: ShownLayer): void {
    const tools = TOOLS_FOR[layer];
    this.update({ layer, tool: tools.includes(this.ui.tool) ? this.ui.tool : (tools[0] ?? this.ui.tool) });
    this.ensureVisible(layer);
  }

  private renderSidebar(): void {
    const doc = this.doc;
    this.sidebar.replaceChildren(
      ...sidebarContent(
        { ui: this.ui, doc, busy: this.busy, jointSelected: this.selected !== undefined, controlNets: this.controlNets, generationSummary: this.generationSummary },
        {
          update: (patch) => this.update(patch),
          selectLayer: (layer) => this.selectLayer(layer),
          promptChanged: (text) => {
            this.ui.prompt = text;
            this.host.saveState(this.ui);
          },
          wholeLayer: (layer, label, make) => this.wholeLayer(layer, label, make),
          commitPose: (pose, label) => this.commitPose(pose, label),
          editPerson: (label, change) => this.editPerson(label, change),
          toggleJoint: () => this.toggleJoint(),
          deletePerson: () => {
            if (!doc) return;
            const index = this.selected?.person ?? doc.pose.people.length - 1;
            this.selected = undefined;
            this.commitPose({ ...doc.pose, people: doc.pose.people.filter((_, i) => i !== index) }, 'Delete person');
          },
          setEdges: (edges) => this.setEdges(edges),
          setExtend: (extend) => this.setExtend(extend),
          post: (message) => this.host.post(message),
          generate: () => this.generate(),
        },
      ),
    );
  }

  private generate(): void {
    const chosen = (layer: ControlLayer): string | undefined => this.controlNets.find((cn) => cn.id === this.ui.controlNetChoice[layer])?.id;
    const controls = CONTROL_LAYERS.filter((c) => this.ui.controls[c]).map((layer) => ({ layer, scale: this.ui.controlScale[layer], ...(chosen(layer) ? { controlNet: chosen(layer) } : {}) }));
    this.host.post({ type: 'generate', options: { prompt: this.ui.prompt, strength: this.ui.strength, maskBlur: this.ui.maskBlur, onlyMasked: this.ui.onlyMasked, controls } });
  }
}

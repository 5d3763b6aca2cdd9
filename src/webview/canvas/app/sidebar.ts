/**
 * The canvas sidebar: layers (select, show, opacity), the tools of the current layer, pose and edge
 * controls, and Generate. Rebuilt from state on every change; every action goes back to the app.
 */
import { CONTROL_LAYERS, EXTEND_SIDES, EXTEND_STEP, isExtended, LAYER_CONTROL_TYPES, MAX_EXTEND, MAX_LAYER_CONTROL_SCALE, NO_EXTEND, type CanvasExtend, type ControlNetOption, type EdgeSettings, type FromCanvas, type RasterLayer } from '../../../shared/protocol/canvas';
import { MAX_PIXELS } from '../../../shared/request';
import { defaultPerson, mirror, scale, type Person, type PoseDocument } from '../../../shared/canvas/openpose';
import { h, slider } from '../../common/dom';
import { fill, invert, type Bitmap } from '../mask/maskOps';
import { SHOWN_LAYERS, type ShownLayer } from './stage';
import { LAYER_LABELS, TOOL_LABELS, TOOLS_FOR, type CanvasUiState } from './uiState';

export interface SidebarState {
  readonly ui: CanvasUiState;
  readonly doc: { readonly width: number; readonly height: number; readonly pose: PoseDocument; readonly edges: EdgeSettings; readonly extend: CanvasExtend } | undefined;
  readonly busy: boolean;
  readonly jointSelected: boolean;
  /** Installed ControlNets the host offers. */
  readonly controlNets: readonly ControlNetOption[];
  /** The shared generation settings Generate uses, as the host words them ('' until it says). */
  readonly generationSummary: string;
}

export interface SidebarActions {
  update(patch: Partial<CanvasUiState>): void;
  selectLayer(layer: ShownLayer): void;
  promptChanged(text: string): void;
  wholeLayer(layer: RasterLayer, label: string, make: (b: Bitmap) => Bitmap): void;
  commitPose(pose: PoseDocument, label: string): void;
  editPerson(label: string, change: (person: Person) => Person): void;
  toggleJoint(): void;
  deletePerson(): void;
  setEdges(edges: EdgeSettings): void;
  setExtend(extend: CanvasExtend): void;
  post(message: FromCanvas): void;
  generate(): void;
}

function button(label: string, title: string, onClick: () => void, options: { secondary?: boolean; pressed?: boolean; disabled?: boolean; name?: string } = {}): HTMLElement {
  const b = h('vscode-button', { title, 'data-action': options.name ?? label, ...(options.secondary || options.pressed === false ? { secondary: '' } : {}), ...(options.disabled ? { disabled: '' } : {}), ...(options.pressed !== undefined ? { 'aria-pressed': String(options.pressed) } : {}) }, [label]);
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, name: string): HTMLElement {
  const c = h('vscode-checkbox', { label, 'data-name': name, ...(checked ? { checked: '' } : {}) });
  c.addEventListener('change', () => onChange((c as HTMLElement & { checked: boolean }).checked));
  return c;
}

const SIDE_LABELS: Record<(typeof EXTEND_SIDES)[number], string> = { left: 'Left', right: 'Right', top: 'Top', bottom: 'Bottom' };

/** "Extend canvas": each side grows or shrinks by EXTEND_STEP per click, within MAX_EXTEND and the pixel limit. */
function extendSection(doc: NonNullable<SidebarState['doc']>, busy: boolean, setExtend: (extend: CanvasExtend) => void): HTMLElement {
  const { extend, width, height } = doc;
  const grown = (e: CanvasExtend): { w: number; h: number } => ({ w: width + e.left + e.right, h: height + e.top + e.bottom });
  const rows = EXTEND_SIDES.map((side) => {
    const step = (delta: number): CanvasExtend => ({ ...extend, [side]: Math.min(MAX_EXTEND, Math.max(0, extend[side] + delta)) });
    const more = step(EXTEND_STEP);
    const size = grown(more);
    const canGrow = more[side] !== extend[side] && size.w * size.h <= MAX_PIXELS;
    return h('div', { class: 'extend-side', 'data-side': side }, [
      h('span', { class: 'extend-label' }, [SIDE_LABELS[side]]),
      button('−', `Extend the ${side} side ${EXTEND_STEP} px less`, () => setExtend(step(-EXTEND_STEP)), { secondary: true, disabled: busy || extend[side] === 0, name: `extend-${side}-less` }),
      h('output', { 'data-name': `extend-${side}` }, [`${extend[side]}`]),
      button('+', `Extend the ${side} side by ${EXTEND_STEP} px more`, () => setExtend(more), { secondary: true, disabled: busy || !canGrow, name: `extend-${side}-more` }),
    ]);
  });
  const now = grown(extend);
  return h('section', { 'data-name': 'extend' }, [
    h('h3', {}, ['Extend canvas (outpaint)']),
    ...rows,
    h('p', { class: 'hint', 'data-name': 'extend-size' }, [isExtended(extend) ? `${width}×${height} → ${now.w}×${now.h}. Generate paints the new area from scratch and keeps every pixel of the image.` : `Add ${EXTEND_STEP} px steps to any side; Generate then paints the new area.`]),
    ...(isExtended(extend) ? [button('Reset', 'Remove the extension (undoable)', () => setExtend(NO_EXTEND), { secondary: true, disabled: busy, name: 'extend-reset' })] : []),
  ]);
}

export function sidebarContent(state: SidebarState, actions: SidebarActions): HTMLElement[] {
  const { ui, doc } = state;
  const section = (title: string, children: (Node | string)[]): HTMLElement => h('section', {}, [h('h3', {}, [title]), ...children]);
  const layers = SHOWN_LAYERS.map((layer, i) => {
    const opacity = slider('Opacity', 0, 1, 0.05, ui.opacity[layer], `${LAYER_LABELS[layer]} opacity`);
    opacity.input.addEventListener('change', () => actions.update({ opacity: { ...ui.opacity, [layer]: Number(opacity.input.value) } }));
    return h('div', { class: `layer-row${layer === ui.layer ? ' active' : ''}` }, [
      button(LAYER_LABELS[layer], `Edit the ${LAYER_LABELS[layer].toLowerCase()} layer (${i + 1})`, () => actions.selectLayer(layer), { pressed: layer === ui.layer, name: `layer-${layer}` }),
      checkbox('Show', ui.visible[layer], (v) => actions.update({ visible: { ...ui.visible, [layer]: v } }), `show-${layer}`),
      opacity.root,
    ]);
  });
  const children: HTMLElement[] = [section('Layers', layers)];

  const tools = TOOLS_FOR[ui.layer];
  if (tools.length > 0 && ui.layer !== 'pose') {
    const size = slider('Size', 1, 256, 1, ui.brushRadius, 'Brush radius in image pixels ([ and ])');
    size.input.addEventListener('change', () => actions.update({ brushRadius: Number(size.input.value) }));
    const hardness = slider('Hardness', 0, 1, 0.05, ui.hardness, 'Brush edge: 0 soft, 1 hard');
    hardness.input.addEventListener('change', () => actions.update({ hardness: Number(hardness.input.value) }));
    const toolButtons = tools.map((tool) => button(TOOL_LABELS[tool].replace(/ \(.*\)$/, ''), TOOL_LABELS[tool], () => actions.update({ tool }), { pressed: tool === ui.tool, name: `tool-${tool}` }));
    const extra: HTMLElement[] = [];
    if (ui.layer === 'depth') {
      const value = slider('Depth', 0, 255, 1, ui.depthValue, 'Grey the depth brush paints: 255 near, 0 far');
      value.input.addEventListener('change', () => actions.update({ depthValue: Number(value.input.value) }));
      extra.push(value.root, button('Import depth…', 'Load a depth image into this layer', () => actions.post({ type: 'import', what: 'depth' }), { secondary: true }));
    }
    if (ui.layer === 'mask') {
      extra.push(
        h('div', { class: 'row' }, [
          button('Fill', 'Mask everything (repaint all)', () => actions.wholeLayer('mask', 'Fill mask', (b) => fill(b, 255)), { secondary: true }),
          button('Clear', 'Unmask everything', () => actions.wholeLayer('mask', 'Clear mask', (b) => fill(b, 0)), { secondary: true }),
          button('Invert', 'Swap masked and unmasked', () => actions.wholeLayer('mask', 'Invert mask', invert), { secondary: true }),
        ]),
        button('Select person', 'Add the people in the image to the mask (built-in MediaPipe selfie segmentation); adjust it with the brush afterwards', () => actions.post({ type: 'detect', what: 'person' }), { secondary: true, disabled: state.busy, name: 'select-person' }),
      );
    }
    if (ui.layer === 'sketch') extra.push(button('Clear', 'Blank sketch sheet', () => actions.wholeLayer('sketch', 'Clear sketch', (b) => fill(b, 255)), { secondary: true }));
    children.push(section('Tools', [h('div', { class: 'row' }, toolButtons), size.root, hardness.root, ...extra]));
  }

  if (ui.layer === 'pose' && doc) {
    const hasPerson = doc.pose.people.length > 0;
    children.push(
      section('Pose', [
        h('p', { class: 'hint' }, [hasPerson ? 'Drag a joint to move it; Shift-drag moves the whole person. H or Delete hides the selected joint.' : 'Add a person, then drag its joints.']),
        h('div', { class: 'row' }, [
          button('Add person', 'Add a T-pose skeleton', () => actions.commitPose({ ...doc.pose, people: [...doc.pose.people, defaultPerson(doc.width, doc.height)] }, 'Add person')),
          button('Mirror', 'Mirror the selected person', () => actions.editPerson('Mirror person', mirror), { secondary: true, disabled: !hasPerson }),
          button('Larger', 'Scale the selected person up', () => actions.editPerson('Scale person', (p) => scale(p, 1.1)), { secondary: true, disabled: !hasPerson }),
          button('Smaller', 'Scale the selected person down', () => actions.editPerson('Scale person', (p) => scale(p, 1 / 1.1)), { secondary: true, disabled: !hasPerson }),
          button('Hide/show joint', 'Hide or show the selected joint (H)', () => actions.toggleJoint(), { secondary: true, disabled: !state.jointSelected }),
          button('Delete person', 'Remove the selected person', () => actions.deletePerson(), { secondary: true, disabled: !hasPerson }),
        ]),
        h('div', { class: 'row' }, [
          button('Detect pose from image', 'Find the people in the image and make them editable skeletons (built-in MoveNet; replaces the skeletons on this layer, Undo brings them back)', () => actions.post({ type: 'detect', what: 'pose' }), { secondary: true, disabled: state.busy, name: 'detect-pose' }),
          button('Import JSON…', 'Import OpenPose JSON', () => actions.post({ type: 'import', what: 'pose' }), { secondary: true }),
          button('Export JSON…', 'Export OpenPose JSON', () => actions.post({ type: 'exportPose' }), { secondary: true, disabled: !hasPerson }),
        ]),
      ]),
    );
  }

  if (ui.layer === 'edges' && doc) {
    const low = slider('Low', 0, 500, 5, doc.edges.low, 'Gradients below this are never edges');
    const high = slider('High', 0, 500, 5, doc.edges.high, 'Gradients above this are always edges');
    const commit = (): void => {
      const [l, hi] = [Number(low.input.value), Number(high.input.value)];
      actions.setEdges({ enabled: true, low: Math.min(l, hi), high: Math.max(l, hi) });
    };
    low.input.addEventListener('change', commit);
    high.input.addEventListener('change', commit);
    children.push(section('Edges (canny)', [checkbox('Compute edges from the image', doc.edges.enabled, (v) => actions.setEdges({ ...doc.edges, enabled: v }), 'edges-enabled'), low.root, high.root]));
  }

  const prompt = h('vscode-textarea', { placeholder: 'What to paint (masked area, or the whole image)', rows: '3', 'data-name': 'prompt' });
  (prompt as HTMLElement & { value: string }).value = ui.prompt;
  prompt.addEventListener('input', () => actions.promptChanged((prompt as HTMLElement & { value: string }).value));
  const strength = slider('Strength', 0, 1, 0.05, ui.strength, '0 keeps the image, 1 repaints from noise');
  strength.input.addEventListener('change', () => actions.update({ strength: Number(strength.input.value) }));
  const feather = slider('Feather', 0, 64, 1, ui.maskBlur, 'Mask feather radius in pixels');
  feather.input.addEventListener('change', () => actions.update({ maskBlur: Number(feather.input.value) }));
  const onlyMasked = checkbox('Inpaint only the masked area', ui.onlyMasked, (v) => actions.update({ onlyMasked: v }), 'only-masked');
  onlyMasked.title = 'Crop around the mask, paint it at the model\'s full resolution, paste it back: sharper detail for small masks on large images';
  const controls = CONTROL_LAYERS.flatMap((c) => {
    const box = checkbox(`Use ${c} as control`, ui.controls[c], (v) => actions.update({ controls: { ...ui.controls, [c]: v } }), `control-${c}`);
    if (!ui.controls[c]) return [box];
    const weight = slider(`${c} strength`, 0, MAX_LAYER_CONTROL_SCALE, 0.05, ui.controlScale[c], `ControlNet conditioning scale for the ${c} layer (1 is the trained strength)`);
    weight.input.addEventListener('change', () => actions.update({ controlScale: { ...ui.controlScale, [c]: Number(weight.input.value) } }));
    const fitting = state.controlNets.filter((cn) => cn.type === undefined || LAYER_CONTROL_TYPES[c].includes(cn.type));
    if (fitting.length === 0) return [box, weight.root];
    const choice = h('vscode-single-select', { 'data-name': `controlnet-${c}`, 'aria-label': `ControlNet for the ${c} layer`, title: `Which ControlNet reads the ${c} layer` }, [
      h('vscode-option', { value: '' }, [`Automatic (first ${LAYER_CONTROL_TYPES[c].join(' or ')})`]),
      ...fitting.map((cn) => h('vscode-option', { value: cn.id, description: cn.type ?? 'type unknown' }, [cn.label])),
    ]) as HTMLElement & { value: string };
    choice.value = fitting.some((cn) => cn.id === ui.controlNetChoice[c]) ? ui.controlNetChoice[c] : '';
    choice.addEventListener('change', () => actions.update({ controlNetChoice: { ...ui.controlNetChoice, [c]: choice.value } }));
    return [box, weight.root, choice];
  });
  if (doc) children.push(extendSection(doc, state.busy, (extend) => actions.setExtend(extend)));
  const summary = h('p', { class: 'summary', 'data-name': 'generation-summary', title: 'The shared atelier.* settings: the side panel and Generate Image use them too' }, [state.generationSummary]);
  children.push(
    section('Generate', [
      h('div', { class: 'row' }, [summary, button('Settings…', 'Change steps, sampler, guidance, seed and model (shared with the side panel and Generate Image)', () => actions.post({ type: 'openSettings' }), { secondary: true, name: 'open-settings' })]),
      prompt,
      strength.root,
      feather.root,
      onlyMasked,
      ...controls,
      button(state.busy ? 'Generating…' : 'Generate', doc && isExtended(doc.extend) ? 'Paint the extended area (outpaint); the result is a new, larger file' : 'Inpaint the masked area (or vary the whole image when nothing is masked); the result is a new file', () => actions.generate(), { disabled: state.busy || !doc, name: 'generate' }),
      h('div', { class: 'row' }, [
        button('Upscale 2×', 'Upscale the image 2× with the built-in ESRGAN (a new file, name@2x.png)', () => actions.post({ type: 'upscale', scale: 2 }), { secondary: true, disabled: !doc, name: 'upscale-2' }),
        button('Upscale 4×', 'Upscale the image 4× with the built-in ESRGAN (a new file, name@4x.png)', () => actions.post({ type: 'upscale', scale: 4 }), { secondary: true, disabled: !doc, name: 'upscale-4' }),
      ]),
    ]),
  );
  return children;
}

/** Choices for "Use as Control Input…" (pure). */
import { controlTypeFromName } from '../../shared/controlNames';
import { IMAGE_EXTENSIONS } from '../../shared/images/imageInput';
import { CONTROL_TYPES, type ControlType } from '../../shared/request';

/** Control types offered, with the one the file name suggests first (`x.depth.png`, `pose.png` …). */
export function controlChoices(fileName: string): ControlType[] {
  const offered = CONTROL_TYPES.filter((t) => t !== 'other');
  const guess = controlTypeFromName(fileName.replace(new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i'), ''));
  return guess ? [guess, ...offered.filter((t) => t !== guess)] : [...offered];
}

/** The txt2img size for a control image: its own, brought down to multiples of 8 (the pipeline resizes the control with a notice). */
export function sizeForControl(width: number, height: number): { width: number; height: number } {
  return { width: Math.max(64, width - (width % 8)), height: Math.max(64, height - (height % 8)) };
}

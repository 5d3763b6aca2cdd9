/**
 * What a detector's answer does to the canvas, as pure functions: detected people replace the pose
 * layer's skeletons; a person mask is added to the mask layer. Nothing found changes nothing, and
 * says so.
 */
import type { PoseDocument } from '../../shared/canvas/openpose';
import type { DetectedPose } from '../../shared/request';

export interface DetectionOutcome<T> {
  /** The new layer content; undefined when nothing changes. */
  readonly change: T | undefined;
  readonly level: 'info' | 'warning';
  readonly message: string;
}

const people = (n: number): string => `${n} ${n === 1 ? 'person' : 'people'}`;

export function poseFromDetection(current: PoseDocument, detected: readonly DetectedPose[]): DetectionOutcome<PoseDocument> {
  if (detected.length === 0) return { change: undefined, level: 'warning', message: 'No person found in the image; the pose layer is unchanged.' };
  const hidden = detected.reduce((n, d) => n + d.person.keypoints.filter((k) => !k.visible).length, 0);
  const replaced = current.people.length > 0 ? ` It replaced the ${people(current.people.length)} already on the layer (Undo brings them back).` : '';
  const hiddenNote = hidden > 0 ? ` ${hidden} joint${hidden === 1 ? ' was' : 's were'} unsure and ${hidden === 1 ? 'is' : 'are'} hidden: select one and press H to show it.` : '';
  return {
    change: { ...current, people: detected.map((d) => d.person) },
    level: 'info',
    message: `Detected ${people(detected.length)}; drag the joints to adjust.${hiddenNote}${replaced}`,
  };
}

/** "12 %", or "less than 1 %" for a small person (rounding never says 0 % of something found). */
export function coverageText(coverage: number): string {
  return coverage < 0.005 ? 'less than 1 %' : `${Math.round(coverage * 100)} %`;
}

/** The union of the current mask and the person mask (both W×H, 0…255). */
export function maskWithPerson(current: Uint8Array, person: Uint8Array | undefined, coverage: number): DetectionOutcome<Uint8Array> {
  if (person && person.length !== current.length) throw new RangeError(`the person mask has ${person.length} pixels, the canvas ${current.length}`);
  if (!person || !person.some((v) => v > 0)) return { change: undefined, level: 'warning', message: 'No one was found in the image; the mask is unchanged and no mask file will be written.' };
  const merged = new Uint8Array(current.length);
  let added = 0;
  for (let i = 0; i < merged.length; i++) {
    merged[i] = Math.max(current[i], person[i]);
    if (merged[i] !== current[i]) added++;
  }
  if (added === 0) return { change: undefined, level: 'info', message: 'The person is already masked; the mask is unchanged.' };
  return { change: merged, level: 'info', message: `Masked the person (${coverageText(coverage)} of the image); paint or erase with the brush to adjust.` };
}

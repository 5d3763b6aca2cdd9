/**
 * Pose editing as a state machine: idle → dragging a joint, or moving a whole person (Shift-drag or
 * drag on a limb-free spot inside the person). One drag is one edit. Pure: works on PoseDocument.
 */
import { moveJoint, translate, type PoseDocument, type Person } from '../../../shared/canvas/openpose';

export interface JointRef {
  readonly person: number;
  readonly joint: number;
}

/** The visible joint nearest to (x, y) within `reach` image pixels. */
export function hitJoint(pose: PoseDocument, x: number, y: number, reach: number): JointRef | undefined {
  let best: JointRef | undefined;
  let bestDistance = reach;
  pose.people.forEach((person, p) =>
    person.keypoints.forEach((k, j) => {
      const d = Math.hypot(k.x - x, k.y - y);
      if (d <= bestDistance) {
        bestDistance = d;
        best = { person: p, joint: j };
      }
    }),
  );
  return best;
}

export function replacePerson(pose: PoseDocument, index: number, person: Person): PoseDocument {
  return { ...pose, people: pose.people.map((p, i) => (i === index ? person : p)) };
}

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'dragging'; readonly start: PoseDocument; readonly target: JointRef; readonly wholePerson: boolean; readonly x0: number; readonly y0: number };

export class PoseTool {
  private state: State = { kind: 'idle' };

  get active(): boolean {
    return this.state.kind !== 'idle';
  }

  /** Returns the joint grabbed (or undefined: nothing under the pointer). */
  down(pose: PoseDocument, x: number, y: number, reach: number, wholePerson: boolean): JointRef | undefined {
    const target = hitJoint(pose, x, y, reach);
    if (target) this.state = { kind: 'dragging', start: pose, target, wholePerson, x0: x, y0: y };
    return target;
  }

  /** The pose while dragging to (x, y). */
  move(x: number, y: number): PoseDocument | undefined {
    if (this.state.kind !== 'dragging') return undefined;
    const { start, target, wholePerson, x0, y0 } = this.state;
    const person = start.people[target.person];
    return replacePerson(start, target.person, wholePerson ? translate(person, x - x0, y - y0) : moveJoint(person, target.joint, x, y));
  }

  /** Ends the drag; returns the label of the edit, or undefined when the pointer never moved. */
  up(x: number, y: number): { pose: PoseDocument; label: string } | undefined {
    if (this.state.kind !== 'dragging') return undefined;
    const moved = x !== this.state.x0 || y !== this.state.y0;
    const label = this.state.wholePerson ? 'Move person' : 'Move joint';
    const pose = this.move(x, y);
    this.state = { kind: 'idle' };
    return moved && pose ? { pose, label } : undefined;
  }

  /** Escape: the pose before the drag. */
  cancel(): PoseDocument | undefined {
    if (this.state.kind !== 'dragging') return undefined;
    const { start } = this.state;
    this.state = { kind: 'idle' };
    return start;
  }
}

/** Draws OpenPose skeletons on a 2D context in the standard OpenPose colours, with joint handles. */
import { COLORS, LIMBS, type PoseDocument } from '../../../shared/canvas/openpose';
import type { JointRef } from '../tools/poseTool';

export function drawPose(ctx: CanvasRenderingContext2D, pose: PoseDocument, selected: JointRef | undefined, handleRadius: number): void {
  ctx.clearRect(0, 0, pose.width, pose.height);
  ctx.lineCap = 'round';
  pose.people.forEach((person, p) => {
    ctx.lineWidth = Math.max(2, handleRadius * 0.8);
    LIMBS.forEach(([a, b], limb) => {
      const [ka, kb] = [person.keypoints[a], person.keypoints[b]];
      if (!ka.visible || !kb.visible) return;
      const [r, g, bl] = COLORS[limb];
      ctx.strokeStyle = `rgba(${r},${g},${bl},0.75)`;
      ctx.beginPath();
      ctx.moveTo(ka.x, ka.y);
      ctx.lineTo(kb.x, kb.y);
      ctx.stroke();
    });
    person.keypoints.forEach((k, j) => {
      const [r, g, b] = COLORS[j];
      const isSelected = selected?.person === p && selected.joint === j;
      ctx.beginPath();
      ctx.arc(k.x, k.y, isSelected ? handleRadius * 1.5 : handleRadius, 0, Math.PI * 2);
      // Hidden joints stay editable: drawn hollow so they can be dragged and shown again.
      if (k.visible) {
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fill();
      }
      ctx.lineWidth = isSelected ? 2 : 1;
      ctx.strokeStyle = isSelected ? '#ffffff' : k.visible ? 'rgba(0,0,0,0.6)' : `rgb(${r},${g},${b})`;
      ctx.stroke();
    });
  });
}

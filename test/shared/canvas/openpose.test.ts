import { describe, expect, it } from 'vitest';
import { COLORS, defaultPerson, fromOpenPoseJson, KEYPOINTS, LIMBS, mirror, moveJoint, rasterizePose, resizePose, scale, setJointVisible, toOpenPoseJson, translate } from '../../../src/shared/canvas/openpose';

describe('OpenPose skeletons', () => {
  const person = defaultPerson(512, 512);

  it('has 18 COCO keypoints, 17 drawn limbs and 18 colours', () => {
    expect(KEYPOINTS).toHaveLength(18);
    expect(LIMBS).toHaveLength(17);
    expect(COLORS[0]).toEqual([255, 0, 0]);
    expect(person.keypoints).toHaveLength(18);
    expect(person.keypoints[1].x).toBeCloseTo(256, 6); // neck centred
  });

  it('JSON round trip keeps positions and hidden joints', () => {
    const edited = setJointVisible(moveJoint(person, 4, 100.25, 200.5), 16, false);
    const back = fromOpenPoseJson(toOpenPoseJson({ width: 512, height: 512, people: [edited, translate(person, 10, 0)] }));
    expect(back.people).toHaveLength(2);
    expect(back.people[0].keypoints[4]).toEqual({ x: 100.25, y: 200.5, visible: true });
    expect(back.people[0].keypoints[16].visible).toBe(false);
    expect(back.people[1].keypoints[1].x).toBeCloseTo(266, 1);
    expect(JSON.parse(toOpenPoseJson({ width: 512, height: 512, people: [edited] })).people[0].pose_keypoints_2d.slice(48, 51)).toEqual([0, 0, 0]);
  });

  it('a drag moves exactly one joint by the drag', () => {
    const moved = moveJoint(person, 7, person.keypoints[7].x + 30, person.keypoints[7].y - 12);
    const json = JSON.parse(toOpenPoseJson({ width: 512, height: 512, people: [moved] })).people[0].pose_keypoints_2d as number[];
    const original = JSON.parse(toOpenPoseJson({ width: 512, height: 512, people: [person] })).people[0].pose_keypoints_2d as number[];
    const diff = json.map((v, i) => Math.round((v - original[i]) * 100) / 100);
    expect(diff.slice(21, 23)).toEqual([30, -12]);
    expect(diff.filter((d) => d !== 0)).toHaveLength(2);
  });

  it('mirror swaps left and right; scale keeps the centre', () => {
    const m = mirror(moveJoint(person, 4, person.keypoints[4].x - 20, person.keypoints[4].y));
    expect(m.keypoints[7].x).toBeGreaterThan(person.keypoints[7].x); // the right wrist became the left one, moved out
    const s = scale(person, 0.5);
    expect(s.keypoints[4].x - s.keypoints[7].x).toBeCloseTo((person.keypoints[4].x - person.keypoints[7].x) / 2, 6);
    expect(() => scale(person, 0)).toThrow('scale factor must be a positive number');
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['{}', 'no "people" list'],
    ['{"canvas_width":10,"canvas_height":10,"people":[{"pose_keypoints_2d":[1,2,3]}]}', 'has 3 numbers; expected 54'],
    ['{"canvas_width":10,"canvas_height":10,"people":[{"pose_keypoints_2d":"x"}]}', 'must be a list of numbers'],
    ['{"people":[]}', 'no canvas_width/canvas_height'],
  ])('refuses %s', (text, message) => {
    expect(() => fromOpenPoseJson(text)).toThrow(message);
  });

  it('accepts extra fields and normalised coordinates', () => {
    const flat = Array.from({ length: 18 }, (_, i) => [0.5, (i + 1) / 20, 0.9]).flat();
    const doc = fromOpenPoseJson(JSON.stringify({ people: [{ person_id: [-1], pose_keypoints_2d: flat, face_keypoints_2d: [] }] }), { width: 200, height: 400 });
    expect(doc.people[0].keypoints[0]).toEqual({ x: 100, y: 20, visible: true });
  });

  it('rasterises joints in their colour and limbs at 60 % of theirs, on black', () => {
    const rgb = rasterizePose({ width: 512, height: 512, people: [person] });
    const px = (x: number, y: number): number[] => Array.from(rgb.subarray((Math.round(y) * 512 + Math.round(x)) * 3, (Math.round(y) * 512 + Math.round(x)) * 3 + 3));
    const nose = person.keypoints[0];
    expect(px(nose.x, nose.y)).toEqual([255, 0, 0]);
    const [a, b] = [person.keypoints[9], person.keypoints[10]]; // right knee → ankle, limb 8
    expect(px((a.x + b.x) / 2, (a.y + b.y) / 2)).toEqual(COLORS[8].map((c) => Math.floor(c * 0.6)));
    expect(px(5, 5)).toEqual([0, 0, 0]);
    const hidden = rasterizePose({ width: 512, height: 512, people: [setJointVisible(person, 0, false)] });
    expect(Array.from(hidden.subarray((Math.round(nose.y) * 512 + Math.round(nose.x)) * 3, (Math.round(nose.y) * 512 + Math.round(nose.x)) * 3 + 3))).not.toEqual([255, 0, 0]);
  });
});

describe('resizePose', () => {
  it('stretches every joint by each axis ratio and keeps visibility', () => {
    const person = setJointVisible(defaultPerson(100, 50), 3, false);
    const resized = resizePose({ width: 100, height: 50, people: [person] }, 300, 100);
    expect([resized.width, resized.height]).toEqual([300, 100]);
    resized.people[0].keypoints.forEach((k, i) => {
      expect(k.x).toBeCloseTo(person.keypoints[i].x * 3);
      expect(k.y).toBeCloseTo(person.keypoints[i].y * 2);
      expect(k.visible).toBe(person.keypoints[i].visible);
    });
  });
});

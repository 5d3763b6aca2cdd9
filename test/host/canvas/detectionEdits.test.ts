/** What the detectors' answers do to the canvas layers: replace skeletons, add to the mask, or nothing with a reason. */
import { describe, expect, it } from 'vitest';
import { coverageText, maskWithPerson, poseFromDetection } from '../../../src/host/canvas/detectionEdits';
import { defaultPerson, setJointVisible, type PoseDocument } from '../../../src/shared/canvas/openpose';

const empty: PoseDocument = { width: 64, height: 48, people: [] };

describe('poseFromDetection', () => {
  it('nothing found: no change, and says the layer is unchanged', () => {
    expect(poseFromDetection({ ...empty, people: [defaultPerson(64, 48)] }, [])).toEqual({ change: undefined, level: 'warning', message: 'No person found in the image; the pose layer is unchanged.' });
  });

  it('detected people replace the layer\'s skeletons, and the message counts hidden joints and replaced people', () => {
    const a = setJointVisible(defaultPerson(64, 48), 4, false);
    const b = defaultPerson(32, 48);
    const outcome = poseFromDetection({ ...empty, people: [defaultPerson(64, 48)] }, [{ person: a, score: 0.8 }, { person: b, score: 0.5 }]);
    expect(outcome.change).toEqual({ width: 64, height: 48, people: [a, b] });
    expect(outcome.message).toBe('Detected 2 people; drag the joints to adjust. 1 joint was unsure and is hidden: select one and press H to show it. It replaced the 1 person already on the layer (Undo brings them back).');
    expect(poseFromDetection(empty, [{ person: b, score: 0.9 }]).message).toBe('Detected 1 person; drag the joints to adjust.');
  });
});

describe('maskWithPerson', () => {
  it('adds the person to the existing mask (union), keeping strokes outside them', () => {
    const current = Uint8Array.from([255, 0, 0, 128]);
    const outcome = maskWithPerson(current, Uint8Array.from([0, 255, 0, 255]), 0.5);
    expect(Array.from(outcome.change ?? [])).toEqual([255, 255, 0, 255]);
    expect(outcome.message).toBe('Masked the person (50 % of the image); paint or erase with the brush to adjust.');
    expect(Array.from(current)).toEqual([255, 0, 0, 128]);
  });

  it('no person, or a person already masked: no change', () => {
    expect(maskWithPerson(new Uint8Array(4), undefined, 0)).toMatchObject({ change: undefined, message: 'No one was found in the image; the mask is unchanged and no mask file will be written.' });
    // An all-black "person" mask is nobody too: no edit, so no dirty document and no empty mask file.
    expect(maskWithPerson(new Uint8Array(4), new Uint8Array(4), 0)).toMatchObject({ change: undefined, message: expect.stringMatching(/^No one was found/) });
    expect(maskWithPerson(new Uint8Array(4).fill(255), Uint8Array.from([0, 255, 0, 0]), 0.25)).toMatchObject({ change: undefined, message: 'The person is already masked; the mask is unchanged.' });
    expect(() => maskWithPerson(new Uint8Array(4), new Uint8Array(5), 0.1)).toThrow('the person mask has 5 pixels, the canvas 4');
  });
});

describe('coverageText', () => {
  it('never says 0 % of a person that was found', () => {
    expect(coverageText(0.004)).toBe('less than 1 %');
    expect(coverageText(0.0049)).toBe('less than 1 %');
    expect(coverageText(0.005)).toBe('1 %');
    expect(coverageText(0.5)).toBe('50 %');
  });
});

import { describe, expect, it } from 'vitest';
import { controlChoices, sizeForControl } from '../../../src/host/controls/controlChoices';

describe('"Use as Control Input…" choices', () => {
  it('offers the type the file name suggests first, then the rest', () => {
    expect(controlChoices('hero.depth.png')[0]).toBe('depth');
    expect(controlChoices('dancer-openpose.png')[0]).toBe('openpose');
    expect(controlChoices('logo.canny.webp')[0]).toBe('canny');
    expect(controlChoices('photo.jpg')[0]).toBe('openpose');
    expect(controlChoices('hero.depth.png')).toHaveLength(10);
    expect(controlChoices('hero.depth.png')).not.toContain('other');
  });

  it('generates at the control image size brought down to multiples of 8 (at least 64)', () => {
    expect(sizeForControl(512, 768)).toEqual({ width: 512, height: 768 });
    expect(sizeForControl(515, 300)).toEqual({ width: 512, height: 296 });
    expect(sizeForControl(40, 70)).toEqual({ width: 64, height: 64 });
  });
});

/** Every image command offers the formats the decoder reads, and nothing else (package.json and the code agree). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { controlChoices } from '../../../src/host/controls/controlChoices';
import { IMAGE_EXTENSIONS } from '../../../src/shared/images/imageInput';
import { WORKING_RESOLUTIONS } from '../../../src/shared/request';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  contributes: {
    menus: Record<string, { command: string; when?: string }[]>;
    customEditors: { selector: { filenamePattern: string }[] }[];
    configuration: { properties: Record<string, { enum?: string[]; default?: unknown }> };
  };
};

describe('image formats in package.json', () => {
  it('every image context-menu entry shows for each readable extension, and not for SVG', () => {
    const whens = Object.values(pkg.contributes.menus).flat().map((m) => m.when ?? '').filter((w) => w.includes('resourceExtname'));
    expect(whens.length).toBeGreaterThanOrEqual(12);
    for (const when of whens) {
      const match = /resourceExtname =~ \/(.+)\/(i?)$/.exec(when);
      expect(match, when).not.toBeNull();
      const re = new RegExp(match?.[1] ?? '', match?.[2]);
      for (const ext of IMAGE_EXTENSIONS) expect(re.test(`.${ext}`), `${when} .${ext}`).toBe(true);
      expect(re.test('.svg')).toBe(false);
    }
  });

  it('the canvas opens each readable extension', () => {
    const patterns = pkg.contributes.customEditors[0].selector.map((s) => s.filenamePattern).sort();
    expect(patterns).toEqual(IMAGE_EXTENSIONS.map((e) => `*.${e}`).sort());
  });

  it('the working-resolution setting offers the request\'s values, "model" by default', () => {
    const setting = pkg.contributes.configuration.properties['atelier.workingResolution'];
    expect(setting.enum).toEqual([...WORKING_RESOLUTIONS]);
    expect(setting.default).toBe('model');
  });

  it('"Use as Control Input" guesses the type from any readable file name', () => {
    expect(controlChoices('hero.depth.avif')[0]).toBe('depth');
    expect(controlChoices('pose.tiff')[0]).toBe('openpose');
  });
});

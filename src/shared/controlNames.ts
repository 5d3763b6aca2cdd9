/** The ControlNet type a model or file name implies (pure; the pipeline reads folders, the host file names). */
import type { ControlType } from './request';

/** Name patterns in the order they are tried ("openpose" before "pose", "softedge"/"hed" before "edge"). */
const TYPE_PATTERNS: readonly (readonly [RegExp, ControlType])[] = [
  [/openpose|dwpose|(^|[^a-z])pose/, 'openpose'],
  [/depth|midas|zoe/, 'depth'],
  [/scribble|sketch/, 'scribble'],
  [/lineart|line_art|anyline/, 'lineart'],
  [/canny/, 'canny'],
  [/softedge|hed|pidi/, 'softedge'],
  [/mlsd/, 'mlsd'],
  [/normal/, 'normal'],
  [/(^|[^a-z])seg/, 'seg'],
  [/inpaint/, 'inpaint'],
];

/** The ControlNet type a name implies ("lllyasviel/control_v11f1p_sd15_depth" → depth), if any. */
export function controlTypeFromName(name: string): ControlType | undefined {
  const lower = name.toLowerCase();
  return TYPE_PATTERNS.find(([pattern]) => pattern.test(lower))?.[1];
}

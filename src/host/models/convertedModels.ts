/** Where Atelier keeps the ONNX folders it builds from `.safetensors` checkpoints (one per checkpoint + LoRAs + precision). */
import os from 'node:os';
import path from 'node:path';

/**
 * CLI: $ATELIER_CONVERTED_DIR, else the platform cache folder: $XDG_CACHE_HOME/atelier/converted (Linux,
 * default ~/.cache), ~/Library/Caches/atelier/converted (macOS), %LOCALAPPDATA%\atelier\converted (Windows).
 * The extension passes its globalStorage folder instead.
 */
export function convertedModelsRoot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (env.ATELIER_CONVERTED_DIR) return path.resolve(env.ATELIER_CONVERTED_DIR);
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'atelier', 'converted');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'atelier', 'converted');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'atelier', 'converted');
}

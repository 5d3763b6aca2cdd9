/**
 * Which files of a repo a pipeline needs: the ONNX graphs, their external weights and the small
 * configs of the pipeline folders — never the PyTorch/safetensors/Flax duplicates next to them.
 */
export interface TreeEntry {
  readonly path: string;
  readonly size: number;
  /** Git blob id (sha1) of the file as stored in git (the LFS pointer for LFS files). */
  readonly oid: string;
  /** LFS files: the SHA-256 and size of the real content. */
  readonly lfs?: { readonly sha256: string; readonly size: number };
}

/** `controlnet/` is the UNet that takes ControlNet residuals (layout c, OnnxStack exports): without it a repo's ControlNets cannot run. */
export const PIPELINE_FOLDERS = ['text_encoder', 'unet', 'controlnet', 'vae_decoder', 'vae_encoder', 'tokenizer', 'scheduler'] as const;

const WANTED = /(^|\/)(model\.onnx|model\.onnx_data|model\.onnx\.data|weights\.pb|[^/]+\.json|vocab\.json|merges\.txt)$/;

export interface Selection {
  /** Only this repo subfolder (e.g. "onnx") when the export is not at the repo root. */
  readonly subfolder?: string;
  /** Pipeline folders to take; default: all of PIPELINE_FOLDERS. */
  readonly folders?: readonly string[];
  /** A single-graph model (ControlNet): take every .onnx/.json under the subfolder. */
  readonly singleGraph?: boolean;
}

export function selectFiles(tree: readonly TreeEntry[], selection: Selection = {}): TreeEntry[] {
  const prefix = selection.subfolder ? `${selection.subfolder.replace(/\/+$/, '')}/` : '';
  const folders = selection.folders ?? PIPELINE_FOLDERS;
  return tree.filter((entry) => {
    if (!entry.path.startsWith(prefix)) return false;
    const rel = entry.path.slice(prefix.length);
    if (selection.singleGraph) return /\.(onnx|onnx_data|json)$|\.onnx\.data$|(^|\/)weights\.pb$/.test(rel);
    if (rel === 'model_index.json') return true;
    const [folder, ...rest] = rel.split('/');
    return rest.length === 1 && folders.includes(folder) && WANTED.test(rel);
  });
}

/** The hash a file is stored under in blobs/: SHA-256 for LFS files, the git blob id otherwise. */
export function blobHash(entry: TreeEntry): string {
  return entry.lfs?.sha256 ?? entry.oid;
}

export function contentSize(entry: TreeEntry): number {
  return entry.lfs?.size ?? entry.size;
}

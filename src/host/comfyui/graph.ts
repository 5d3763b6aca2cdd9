/**
 * ComfyUI's API prompt format: `{ "<node id>": { class_type, inputs } }`, where an input is a constant
 * or a link `[<node id>, <output index>]` (server.py POST /prompt, execution.py validate_inputs).
 */

/** A link to output `index` of node `id`. */
export type ComfyLink = readonly [id: string, index: number];
export type ComfyValue = string | number | boolean | ComfyLink;

export interface ComfyNode {
  readonly class_type: string;
  readonly inputs: Readonly<Record<string, ComfyValue>>;
}

export type ComfyGraph = Readonly<Record<string, ComfyNode>>;

export function isLink(value: ComfyValue): value is ComfyLink {
  return Array.isArray(value);
}

/** Builds a graph with ids "1", "2", … in the order nodes are added (deterministic, easy to read). */
export class GraphBuilder {
  private readonly nodes: Record<string, ComfyNode> = {};
  private count = 0;

  /** Adds a node; returns its id. */
  add(classType: string, inputs: Record<string, ComfyValue>): string {
    this.count += 1;
    const id = String(this.count);
    this.nodes[id] = { class_type: classType, inputs };
    return id;
  }

  build(): ComfyGraph {
    return { ...this.nodes };
  }
}

/** Output `index` of node `id`, as an input value. */
export function out(id: string, index = 0): ComfyLink {
  return [id, index];
}

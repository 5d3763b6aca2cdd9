/**
 * Checks a parsed JSON value against the recipe's JSON Schema (the file shipped for VS Code), so the
 * editor's squiggles and `atelier build` follow one definition. Only the keywords that schema uses are
 * interpreted: type, enum, properties, required, additionalProperties: false, items, anyOf, $ref,
 * minimum, maximum, multipleOf, minLength, maxLength, pattern. Every problem carries its JSON path.
 */
export interface SchemaNode {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly $ref?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly description?: string;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
}

export interface SchemaProblem {
  /** JSONPath-style location, e.g. `$.controls[0].scale`. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

const TYPE_WORDS: Record<NonNullable<SchemaNode['type']>, string> = { object: 'an object', array: 'a list', string: 'text (a JSON string)', number: 'a number', integer: 'a whole number', boolean: 'true or false' };

function hasType(value: unknown, type: NonNullable<SchemaNode['type']>): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export class SchemaChecker {
  constructor(private readonly root: SchemaNode) {}

  check(value: unknown): SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    this.visit(this.root, value, '$', problems);
    return problems;
  }

  private resolve(node: SchemaNode): SchemaNode {
    if (!node.$ref) return node;
    const name = node.$ref.replace('#/definitions/', '');
    const target = this.root.definitions?.[name];
    if (!target) throw new Error(`recipe schema: unknown $ref ${node.$ref}`);
    return target;
  }

  private visit(raw: SchemaNode, value: unknown, path: string, problems: SchemaProblem[]): void {
    const node = this.resolve(raw);
    if (node.anyOf) {
      const attempts = node.anyOf.map((option) => {
        const found: SchemaProblem[] = [];
        this.visit(option, value, path, found);
        return found;
      });
      if (attempts.some((a) => a.length === 0)) return;
      // The option whose type matched says the most; else list what is accepted.
      const typed = node.anyOf.findIndex((o) => o.type !== undefined && hasType(value, this.resolve(o).type ?? 'object'));
      if (typed >= 0) problems.push(...attempts[typed]);
      else problems.push({ path, message: `${path} is ${describe(value)}`, fix: `use ${node.anyOf.map((o) => this.summary(o)).join(' or ')}` });
      return;
    }
    if (node.type && !hasType(value, node.type)) {
      problems.push({ path, message: `${path} must be ${TYPE_WORDS[node.type]}, got ${describe(value)}`, fix: node.description ? `set it to ${TYPE_WORDS[node.type]}: ${node.description}` : `set it to ${TYPE_WORDS[node.type]}` });
      return;
    }
    if (node.enum && !node.enum.includes(value)) {
      problems.push({ path, message: `${path} is ${describe(value)}, which is not allowed`, fix: `use one of ${node.enum.map((e) => JSON.stringify(e)).join(', ')}` });
      return;
    }
    if (typeof value === 'number') this.number(node, value, path, problems);
    if (typeof value === 'string') this.string(node, value, path, problems);
    if (Array.isArray(value) && node.items) value.forEach((item, i) => this.visit(node.items as SchemaNode, item, `${path}[${i}]`, problems));
    if (hasType(value, 'object') && (node.properties || node.required)) this.object(node, value as Record<string, unknown>, path, problems);
  }

  private summary(node: SchemaNode): string {
    const n = this.resolve(node);
    if (n.enum) return n.enum.map((e) => JSON.stringify(e)).join(', ');
    if (n.pattern) return `text like ${n.pattern.replace(/^\^|\$$/g, '')}`;
    return n.type ? TYPE_WORDS[n.type] : 'a value';
  }

  private number(node: SchemaNode, value: number, path: string, problems: SchemaProblem[]): void {
    const range = node.minimum !== undefined && node.maximum !== undefined ? `from ${node.minimum} to ${node.maximum}` : node.minimum !== undefined ? `of at least ${node.minimum}` : `of at most ${node.maximum}`;
    if ((node.minimum !== undefined && value < node.minimum) || (node.maximum !== undefined && value > node.maximum)) {
      problems.push({ path, message: `${path} is ${value}, out of range`, fix: `use a value ${range}` });
    } else if (node.multipleOf !== undefined && value % node.multipleOf !== 0) {
      const down = Math.floor(value / node.multipleOf) * node.multipleOf;
      problems.push({ path, message: `${path} is ${value}, not a multiple of ${node.multipleOf}`, fix: `use ${down} or ${down + node.multipleOf}` });
    }
  }

  private string(node: SchemaNode, value: string, path: string, problems: SchemaProblem[]): void {
    if (node.minLength !== undefined && value.length < node.minLength) problems.push({ path, message: `${path} is empty`, fix: node.description ? `fill it in: ${node.description}` : 'fill it in' });
    else if (node.maxLength !== undefined && value.length > node.maxLength) problems.push({ path, message: `${path} has ${value.length} characters`, fix: `shorten it to at most ${node.maxLength}` });
    else if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) problems.push({ path, message: `${path} is ${describe(value)}, which does not have the expected form`, fix: node.description ? `${node.description} (form: ${node.pattern})` : `match ${node.pattern}` });
  }

  private object(node: SchemaNode, value: Record<string, unknown>, path: string, problems: SchemaProblem[]): void {
    const known = Object.keys(node.properties ?? {});
    for (const key of node.required ?? []) {
      if (!(key in value)) {
        const field = node.properties?.[key];
        problems.push({ path: keyPath(path, key), message: `${keyPath(path, key)} is missing`, fix: `add "${key}"${field?.description ? `: ${field.description}` : ''}` });
      }
    }
    for (const [key, item] of Object.entries(value)) {
      const field = node.properties?.[key];
      if (field) {
        this.visit(field, item, keyPath(path, key), problems);
        continue;
      }
      if (node.additionalProperties === false) {
        // Two edits for longer keys: a swapped pair of letters ("widht") is two.
        const near = known.filter((k) => distance(k, key) <= (k.length >= 5 ? 2 : 1)).sort((a, b) => distance(a, key) - distance(b, key))[0];
        problems.push({ path: keyPath(path, key), message: `${keyPath(path, key)} is not a recipe key`, fix: near ? `did you mean "${near}"? (allowed here: ${known.join(', ')})` : `remove it (allowed here: ${known.join(', ')})` });
      }
    }
  }
}

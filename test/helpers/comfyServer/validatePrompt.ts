/**
 * The test double's port of ComfyUI's execution.py `validate_prompt` / `validate_inputs`: the same
 * checks in the same order and the same error shapes (`type`, `message`, `details`, `extra_info`),
 * `node_errors` keyed by node id with `errors`, `dependent_outputs` and `class_type`.
 */
import type { NodeInfo } from './objectInfo';

export interface ComfyErrorShape {
  readonly type: string;
  readonly message: string;
  readonly details: string;
  readonly extra_info: Record<string, unknown>;
}
export interface NodeErrorShape {
  readonly errors: ComfyErrorShape[];
  readonly dependent_outputs: string[];
  readonly class_type: string;
}
export type PromptNode = { class_type?: unknown; inputs?: Record<string, unknown> };
export type Prompt = Record<string, PromptNode>;

export type Validation =
  | { readonly ok: true; readonly outputs: string[]; readonly nodeErrors: Record<string, NodeErrorShape> }
  | { readonly ok: false; readonly error: ComfyErrorShape; readonly nodeErrors: Record<string, NodeErrorShape> };

/** A node's VALIDATE_INPUTS: returns true or a reason. LoadImage and LoadImageMask check the file exists. */
export type CustomValidators = Record<string, { readonly inputs: readonly string[]; readonly check: (inputs: Record<string, unknown>) => true | string }>;

/** Python's KeyError/IndexError when a link names a missing node or output. */
class LookupFailure extends Error {}

function validateNodeInput(received: string, inputType: string | readonly string[]): boolean {
  if (received === inputType) return true;
  if (typeof inputType !== 'string') return false;
  const a = new Set(received.split(',').map((t) => t.trim()));
  return inputType.split(',').some((t) => a.has(t.trim()));
}

function convert(inputType: unknown, val: unknown): unknown {
  if (inputType === 'INT') {
    const n = typeof val === 'string' && /^\s*[-+]?\d+\s*$/.test(val) ? Number(val) : typeof val === 'number' || typeof val === 'boolean' ? Math.trunc(Number(val)) : NaN;
    if (!Number.isFinite(n)) throw new Error(`invalid literal for int() with base 10: '${String(val)}'`);
    return n;
  }
  if (inputType === 'FLOAT') {
    const n = typeof val === 'boolean' ? Number(val) : typeof val === 'number' ? val : typeof val === 'string' && val.trim() !== '' ? Number(val) : NaN;
    if (Number.isNaN(n)) throw new Error(`could not convert string to float: '${String(val)}'`);
    return n;
  }
  if (inputType === 'STRING') return String(val);
  if (inputType === 'BOOLEAN') return Boolean(val);
  return val;
}

type Result = readonly [boolean, ComfyErrorShape[], string];

function validateInputs(prompt: Prompt, id: string, validated: Map<string, Result>, infos: Record<string, NodeInfo>, custom: CustomValidators): Result {
  const done = validated.get(id);
  if (done) return done;
  const node = prompt[id];
  const classType = String(node.class_type);
  const info = infos[classType];
  const inputs = node.inputs ?? {};
  const errors: ComfyErrorShape[] = [];
  let valid = true;
  const validateFn = custom[classType];
  const validateArgs = validateFn?.inputs ?? [];
  const specs = { ...info.input.required, ...(info.input.optional ?? {}) };
  for (const [x, spec] of Object.entries(specs)) {
    const [inputType, extra = {}] = spec;
    const category = x in info.input.required ? 'required' : 'optional';
    if (!(x in inputs)) {
      if (category === 'required') errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: x, extra_info: { input_name: x } });
      continue;
    }
    let val = inputs[x];
    const infoTuple = [inputType, extra];
    if (Array.isArray(val)) {
      if (val.length !== 2) {
        errors.push({ type: 'bad_linked_input', message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]', details: x, extra_info: { input_name: x, input_config: infoTuple, received_value: val } });
        continue;
      }
      const [oId, slot] = val as [string, number];
      const linked = prompt[oId];
      if (!linked) throw new LookupFailure(`'${oId}'`);
      const returns = infos[String(linked.class_type)]?.output ?? [];
      if (slot >= returns.length) throw new LookupFailure('tuple index out of range');
      const received = returns[slot];
      if (!validateNodeInput(received, inputType)) {
        errors.push({ type: 'return_type_mismatch', message: 'Return type mismatch between linked nodes', details: `${x}, received_type(${received}) mismatch input_type(${String(inputType)})`, extra_info: { input_name: x, input_config: infoTuple, received_type: received, linked_node: val } });
        continue;
      }
      try {
        if (!validateInputs(prompt, oId, validated, infos, custom)[0]) valid = false;
      } catch (error) {
        valid = false;
        validated.set(oId, [false, [{ type: 'exception_during_inner_validation', message: 'Exception when validating inner node', details: (error as Error).message, extra_info: { input_name: x, input_config: infoTuple, exception_message: (error as Error).message, exception_type: 'KeyError', traceback: [], linked_node: val } }], oId]);
      }
      continue;
    }
    try {
      val = convert(inputType, val);
      (inputs as Record<string, unknown>)[x] = val;
    } catch (error) {
      errors.push({ type: 'invalid_input_type', message: `Failed to convert an input value to a ${String(inputType)} value`, details: `${x}, ${String(val)}, ${(error as Error).message}`, extra_info: { input_name: x, input_config: infoTuple, received_value: val, exception_message: (error as Error).message } });
      continue;
    }
    if (validateArgs.includes(x)) continue;
    if (typeof extra.min === 'number' && (val as number) < extra.min) {
      errors.push({ type: 'value_smaller_than_min', message: `Value ${String(val)} smaller than min of ${extra.min}`, details: x, extra_info: { input_name: x, input_config: infoTuple, received_value: val } });
      continue;
    }
    if (typeof extra.max === 'number' && (val as number) > extra.max) {
      errors.push({ type: 'value_bigger_than_max', message: `Value ${String(val)} bigger than max of ${extra.max}`, details: x, extra_info: { input_name: x, input_config: infoTuple, received_value: val } });
      continue;
    }
    if (Array.isArray(inputType) && !inputType.includes(val as string)) {
      const big = inputType.length > 20;
      const listInfo = big ? `(list of length ${inputType.length})` : `[${inputType.map((o) => `'${o}'`).join(', ')}]`;
      errors.push({ type: 'value_not_in_list', message: 'Value not in list', details: `${x}: '${String(val)}' not in ${listInfo}`, extra_info: { input_name: x, input_config: big ? null : infoTuple, received_value: val } });
      continue;
    }
  }
  if (validateFn) {
    const reason = validateFn.check(inputs);
    if (reason !== true) {
      for (const x of validateArgs) errors.push({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: `${x} - ${reason}`, extra_info: { input_name: x } });
    }
  }
  const result: Result = errors.length > 0 || !valid ? [false, errors, id] : [true, [], id];
  validated.set(id, result);
  return result;
}

export function validatePrompt(prompt: Prompt, infos: Record<string, NodeInfo>, custom: CustomValidators = {}): Validation {
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    if (!node || typeof node !== 'object' || !('class_type' in node)) {
      return { ok: false, error: { type: 'invalid_prompt', message: 'Cannot execute because a node is missing the class_type property.', details: `Node ID '#${id}'`, extra_info: {} }, nodeErrors: {} };
    }
    const info = infos[String(node.class_type)];
    if (!info) {
      return { ok: false, error: { type: 'invalid_prompt', message: `Cannot execute because node ${String(node.class_type)} does not exist.`, details: `Node ID '#${id}'`, extra_info: {} }, nodeErrors: {} };
    }
    if (info.output_node) outputs.push(id);
  }
  if (outputs.length === 0) return { ok: false, error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, nodeErrors: {} };

  const good: string[] = [];
  const failed: Array<[string, ComfyErrorShape[]]> = [];
  const nodeErrors: Record<string, NodeErrorShape> = {};
  const validated = new Map<string, Result>();
  for (const o of outputs) {
    let valid: boolean;
    let reasons: ComfyErrorShape[];
    try {
      [valid, reasons] = validateInputs(prompt, o, validated, infos, custom);
    } catch (error) {
      valid = false;
      reasons = [{ type: 'exception_during_validation', message: 'Exception when validating node', details: (error as Error).message, extra_info: { exception_type: 'KeyError', traceback: [] } }];
      validated.set(o, [false, reasons, o]);
    }
    if (valid) {
      good.push(o);
      continue;
    }
    failed.push([o, reasons]);
    for (const [nodeId, [ok, nodeReasons]] of validated) {
      if (ok || nodeReasons.length === 0) continue;
      nodeErrors[nodeId] ??= { errors: nodeReasons, dependent_outputs: [], class_type: String(prompt[nodeId].class_type) };
      nodeErrors[nodeId].dependent_outputs.push(o);
    }
  }
  if (good.length === 0) {
    const details = failed.flatMap(([, errors]) => errors.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return { ok: false, error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} }, nodeErrors };
  }
  return { ok: true, outputs: good, nodeErrors };
}

/** Tiny DOM helpers. Text always goes in through textContent, never innerHTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Partial<Record<string, string>>, children?: (Node | string)[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Partial<Record<string, string>>, children?: (Node | string)[]): HTMLElement;
export function h(tag: string, props: Partial<Record<string, string>> = {}, children: (Node | string)[] = []): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) el.setAttribute(key, value);
  for (const child of children) el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return el;
}

/** A labelled range input (the UI kit has no slider). */
export function slider(label: string, min: number, max: number, step: number, value: number, title: string): { root: HTMLElement; input: HTMLInputElement; output: HTMLOutputElement } {
  const input = h('input', { type: 'range', min: String(min), max: String(max), step: String(step), value: String(value), title, 'aria-label': label });
  const output = h('output', {}, [String(value)]);
  input.addEventListener('input', () => (output.textContent = input.value));
  return { root: h('label', { class: 'slider' }, [h('span', {}, [label]), input, output]), input, output };
}

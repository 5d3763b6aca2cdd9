/** Typed access to the webview API: messages out, and small UI state that survives a rebuild. */
interface VsCodeApi<Out, S> {
  postMessage(message: Out): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<Out, S>(): VsCodeApi<Out, S>;

export interface HostChannel<Out, S> {
  post(message: Out, transfer?: Transferable[]): void;
  loadState(): Partial<S>;
  saveState(state: S): void;
}

export function connectToHost<Out, S>(): HostChannel<Out, S> {
  // acquireVsCodeApi may be called once per page; keep the object private to this module.
  const api = acquireVsCodeApi<Out, S>();
  return {
    post: (message) => api.postMessage(message),
    loadState: () => api.getState() ?? {},
    saveState: (state) => api.setState(state),
  };
}

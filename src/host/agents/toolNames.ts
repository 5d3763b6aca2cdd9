/** The Language Model Tools Atelier offers coding agents (issue 17), as contributed in package.json. */
export const AGENT_TOOLS = ['atelier_generateImage', 'atelier_editImage', 'atelier_upscaleImage', 'atelier_listModels'] as const;
export type AgentToolName = (typeof AGENT_TOOLS)[number];

// A module that loads fine but forgets to call registerBackend: --backend-module must say so.
export const notABackend = true;

// Cloudflare Workers (workerd): the bundler hands the .wasm over as a compiled module.
import wasm from "./dist/luma_extend_bg.wasm";
import { initSync, LumaClient, lumaErrorClass } from "./dist/luma_extend.js";

initSync({ module: wasm });

export const LumaError = lumaErrorClass();
export { LumaClient };

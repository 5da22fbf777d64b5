// Browsers and bundlers: fetch the wasm next to this file, once, before anything is used.
import init, { LumaClient, lumaErrorClass } from "./dist/luma_extend.js";

await init({ module_or_path: new URL("./dist/luma_extend_bg.wasm", import.meta.url) });

export const LumaError = lumaErrorClass();
export { LumaClient };

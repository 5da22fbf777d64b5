// Node: read the wasm from disk synchronously at import.
import { readFileSync } from "node:fs";
import { initSync, LumaClient, lumaErrorClass } from "./dist/luma_extend.js";

initSync({ module: readFileSync(new URL("./dist/luma_extend_bg.wasm", import.meta.url)) });

export const LumaError = lumaErrorClass();
export { LumaClient };

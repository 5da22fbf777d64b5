// Browsers and bundlers: fetch the wasm next to this file, once, before anything is used.
import * as glue from "./dist/luma_extend.js";
import { setup } from "./setup.js";

await glue.default({ module_or_path: new URL("./dist/luma_extend_bg.wasm", import.meta.url) });

export const LumaError = setup(glue);
export const { LumaClient } = glue;

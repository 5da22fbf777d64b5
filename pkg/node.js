// Node: read the wasm from disk synchronously at import.
import { readFileSync } from "node:fs";
import * as glue from "./dist/luma_extend.js";
import { setup } from "./setup.js";

glue.initSync({ module: readFileSync(new URL("./dist/luma_extend_bg.wasm", import.meta.url)) });

export const LumaError = setup(glue);
export const { LumaClient } = glue;

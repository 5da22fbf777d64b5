// Cloudflare Workers (workerd): the bundler hands the .wasm over as a compiled module.
import wasm from "./dist/luma_extend_bg.wasm";
import * as glue from "./dist/luma_extend.js";
import { setup } from "./setup.js";

glue.initSync({ module: wasm });

export const LumaError = setup(glue);
export const { LumaClient } = glue;

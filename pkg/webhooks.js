// luma-extend/webhooks (Node): Standard Webhooks verification, from its own wasm build, so
// browsers never load HMAC-SHA256 they do not use.
import { readFileSync } from "node:fs";
import * as glue from "./dist/webhooks/luma_extend.js";
import { setup } from "./setup.js";

glue.initSync({ module: readFileSync(new URL("./dist/webhooks/luma_extend_bg.wasm", import.meta.url)) });

export const LumaError = setup(glue);
export const { verifyWebhook } = glue;

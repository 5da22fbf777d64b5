// luma-extend/webhooks (Cloudflare Workers): the bundler hands the .wasm over as a module.
import wasm from "./dist/webhooks/luma_extend_bg.wasm";
import * as glue from "./dist/webhooks/luma_extend.js";
import { setup } from "./setup.js";

glue.initSync({ module: wasm });

export const LumaError = setup(glue);
export const { verifyWebhook } = glue;

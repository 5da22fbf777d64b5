// luma-extend/webhooks (browsers and bundlers): fetches its wasm next to this file.
import * as glue from "./dist/webhooks/luma_extend.js";
import { setup } from "./setup.js";

await glue.default({ module_or_path: new URL("./dist/webhooks/luma_extend_bg.wasm", import.meta.url) });

export const LumaError = setup(glue);
export const { verifyWebhook } = glue;

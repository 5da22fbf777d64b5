// Types for luma-extend/webhooks: verification of the gateway's Standard Webhooks events.

export { LumaError } from "./index.js";

/**
 * Verifies a Standard Webhooks delivery (webhook-id, webhook-timestamp, webhook-signature; a
 * `whsec_` secret; ±5 minutes) and returns the parsed JSON body. Throws a LumaError with code
 * "unauthorized" when the signature, the timestamp or the headers are wrong, and
 * "invalid_request" when an argument has the wrong type.
 */
export declare function verifyWebhook(
  secret: string,
  body: string,
  headers: Headers | Record<string, string>,
  nowSeconds?: number,
): unknown;

// Types for luma-extend: the public contract of docs/design.md.

export type ProviderName = "luma" | "aimlapi" | "apiframe" | "gptge" | "gateway";
export type AspectRatio = "1:1" | "16:9" | "9:16" | "4:3" | "3:4" | "21:9" | "9:21";
export type GenerationState = "queued" | "dreaming" | "completed" | "failed";
export type ErrorCode =
  | "invalid_request"
  | "unsupported"
  | "unauthorized"
  | "not_found"
  | "rate_limited"
  | "server_error"
  | "network"
  | "timeout"
  | "aborted"
  | "generation_failed"
  | "bad_response";

export interface ClientOptions {
  /** Which protocol to speak. Default "luma". */
  provider?: ProviderName;
  apiKey: string;
  /** The emulator, your gateway, or a compatible reseller. Required for "gateway". */
  baseUrl?: string;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** Transient failures, per request. Default 2. */
  maxRetries?: number;
  /** Used instead of the global fetch. */
  fetch?: typeof fetch;
  /** How long this provider's jobs usually take, in ms; polling plans around it. Default 110000. */
  typicalJobMs?: number;
}

export type Keyframe = { type: "image"; url: string } | { type: "generation"; id: string };

export interface GenerateRequest {
  prompt?: string;
  aspectRatio?: AspectRatio;
  loop?: boolean;
  model?: string;
  resolution?: "540p" | "720p" | "1080p" | "4k";
  duration?: "5s" | "9s";
  callbackUrl?: string;
  /** APIFRAME only: sent back in the x-webhook-secret header of its callbacks. */
  callbackSecret?: string;
  /** APIFRAME and gptge only. */
  expandPrompt?: boolean;
  keyframes?: { frame0?: Keyframe; frame1?: Keyframe };
}

export interface ExtendRequest {
  generationId: string;
  prompt: string;
  /** Append after the clip (default) or prepend before it. */
  direction?: "forward" | "backward";
  /** End frame (forward) or start frame (backward). */
  image?: string;
  /** APIFRAME and gptge only: a reference image for the new segment. */
  referenceImage?: string;
  aspectRatio?: AspectRatio;
  loop?: boolean;
  model?: string;
  callbackUrl?: string;
  callbackSecret?: string;
  expandPrompt?: boolean;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Overall deadline for the wait; rejects with code "timeout". */
  timeoutMs?: number;
  /** Called on every state or progress change. */
  onProgress?: (generation: Generation) => void;
}

export interface Generation {
  id: string;
  provider: ProviderName;
  state: GenerationState;
  /** 0..1 where the provider tells. */
  progress?: number;
  videoUrl?: string;
  /** A preview while dreaming, where the protocol has one. */
  progressVideoUrl?: string;
  thumbnailUrl?: string;
  failureReason?: string;
  createdAt?: string;
  estimateWaitSeconds?: number;
  /** The provider's own JSON, untouched. */
  raw: unknown;
}

export interface ValidationIssue {
  field: string;
  rule: "required" | "min_length" | "max_length" | "one_of" | "uuid" | "url_scheme" | "loop" | "unsupported" | "parent_state";
  message: string;
}

export declare class LumaError extends Error {
  readonly name: "LumaError";
  readonly code: ErrorCode;
  readonly provider: ProviderName;
  readonly status?: number;
  readonly retryable: boolean;
  readonly issues?: ValidationIssue[];
  readonly retryAfterMs?: number;
  /** The failed generation, for "generation_failed". */
  readonly generation?: Generation;
}

/**
 * Verifies a Standard Webhooks delivery (webhook-id, webhook-timestamp, webhook-signature; a
 * `whsec_` secret; ±5 minutes) and returns the parsed JSON body. Throws a LumaError with code
 * "unauthorized" when the signature, the timestamp or the headers are wrong.
 */
export declare function verifyWebhook(
  secret: string,
  body: string,
  headers: Headers | Record<string, string>,
  nowSeconds?: number,
): unknown;

export declare class LumaClient {
  constructor(options: ClientOptions);
  generate(request: GenerateRequest): Promise<Generation>;
  extend(request: ExtendRequest): Promise<Generation>;
  get(id: string): Promise<Generation>;
  getMany(ids: string[]): Promise<Generation[]>;
  /** Resolves when completed; rejects with "generation_failed", "timeout" or "aborted". */
  wait(id: string, options?: WaitOptions): Promise<Generation>;
  waitAll(ids: string[], options?: WaitOptions): Promise<Generation[]>;
  /** Every state change, ending with the terminal one. */
  watch(id: string, options?: WaitOptions): AsyncIterableIterator<Generation>;
  free(): void;
}

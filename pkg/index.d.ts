// Types for luma-extend: the public contract of docs/design.md.

export type ProviderName = "luma" | "luma-agents" | "aimlapi" | "apiframe" | "gptge" | "gateway";
/** `9:21` is refused by luma-agents; the six after it are luma-agents only. */
export type AspectRatio =
  | "1:1" | "16:9" | "9:16" | "4:3" | "3:4" | "21:9" | "9:21"
  | "3:1" | "2:1" | "3:2" | "2:3" | "1:2" | "1:3";
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
  /**
   * Per HTTP request, in ms, its answer's body included: a request still running then is
   * aborted and counts as a `timeout` (retried as the retry rule allows). Positive; `Infinity`
   * (or leaving it out) for none.
   */
  timeoutMs?: number;
  /** Retries of a transient failure, per request: a whole number 0..10. Default 2. */
  maxRetries?: number;
  /** Used instead of the global fetch; it is handed a `Request`. */
  fetch?: (input: Request, init?: RequestInit) => Promise<Response>;
  /**
   * A guess at how long this provider's jobs take, in ms (1000..86400000): polling plans from
   * it until the client has seen a few of its own jobs. Absent: no guess (a 3-second loop until
   * it has learned).
   */
  typicalJobMs?: number;
  /**
   * What an earlier client learned of how long jobs take (its `exportPollModel()`), so this
   * one plans its polling from the start. A string that is not such a model is refused.
   */
  pollModel?: string;
}

/** Options of one call: generate, extend, get, getMany, list, delete. */
export interface RequestOptions {
  /** Aborting it rejects the call with "aborted" at once and cancels its request. */
  signal?: AbortSignal;
  /** The whole call's budget in ms, retries included; rejects with "timeout". `Infinity` for none. */
  timeoutMs?: number;
}

/** A page of list(): newest first. */
export interface ListOptions extends RequestOptions {
  /** 1..100. Default 10. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

export type Keyframe = { type: "image"; url: string } | { type: "generation"; id: string };

export interface GenerateRequest {
  prompt?: string;
  aspectRatio?: AspectRatio;
  loop?: boolean;
  model?: string;
  resolution?: "360p" | "540p" | "720p" | "1080p" | "4k";
  duration?: "5s" | "9s" | "10s";
  callbackUrl?: string;
  /** APIFRAME only: sent back in the x-webhook-secret header of its callbacks. */
  callbackSecret?: string;
  /** APIFRAME and gptge only. */
  expandPrompt?: boolean;
  keyframes?: { frame0?: Keyframe; frame1?: Keyframe };
  /** Luma's camera concepts, e.g. `[{ key: "dolly_zoom" }]`. Luma, and a gateway in front of it, only. */
  concepts?: { key: string }[];
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
  /** Luma's camera concepts. Luma, and a gateway in front of it, only. */
  concepts?: { key: string }[];
}

export interface WaitOptions {
  /** Aborting it rejects with "aborted" at once and stops polling. */
  signal?: AbortSignal;
  /**
   * Overall deadline for the wait, in ms; rejects with code "timeout". Any length (waits past
   * 2^31 ms are chained); `Infinity` for none.
   */
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
  rule:
    | "required" | "min_length" | "max_length" | "one_of" | "uuid" | "url_scheme" | "loop"
    | "unsupported" | "parent_state"
    /** A value of the wrong type, a key the object does not have, a number out of bounds. */
    | "type" | "unknown" | "range";
  message: string;
}

export declare class LumaError extends Error {
  readonly name: "LumaError";
  readonly code: ErrorCode;
  readonly provider: ProviderName;
  readonly status?: number;
  readonly retryable: boolean;
  /**
   * A create failed in a way that leaves the job's fate unknown (the connection dropped after
   * sending, a 5xx, a garbled answer): the provider may have made, and billed, the job, so it
   * was not retried. False for every other error, validation errors included.
   */
  readonly mayHaveBeenCreated: boolean;
  readonly issues?: ValidationIssue[];
  readonly retryAfterMs?: number;
  /** The failed generation, for "generation_failed". */
  readonly generation?: Generation;
}

export declare class LumaClient {
  constructor(options: ClientOptions);
  generate(request: GenerateRequest, options?: RequestOptions): Promise<Generation>;
  extend(request: ExtendRequest, options?: RequestOptions): Promise<Generation>;
  get(id: string, options?: RequestOptions): Promise<Generation>;
  getMany(ids: string[], options?: RequestOptions): Promise<Generation[]>;
  /** Newest first. Luma and the gateway; rejects "unsupported" elsewhere, before sending. */
  list(options?: ListOptions): Promise<Generation[]>;
  /** Luma and the gateway; rejects "unsupported" elsewhere, before sending. */
  delete(id: string, options?: RequestOptions): Promise<void>;
  /** What this client has learned of job lengths, as text for a later client's `pollModel`. */
  exportPollModel(): string;
  /** Resolves when completed; rejects with "generation_failed", "timeout" or "aborted". */
  wait(id: string, options?: WaitOptions): Promise<Generation>;
  waitAll(ids: string[], options?: WaitOptions): Promise<Generation[]>;
  /** Every state change, ending with the terminal one. */
  watch(id: string, options?: WaitOptions): AsyncIterableIterator<Generation>;
  free(): void;
}

// Types of the plain-JavaScript battery helper (battery-cases.mjs) as the TypeScript tests use it.
export declare const DEVICE_TENSORS_PENDING: string;
export declare const tracked: { data: Float32Array; copy: Float32Array }[];

export type { Diagnosis, Result, SchemeName, SignatureFailure } from "./result.ts";
export { headerValues, singleHeader, type WireRequest } from "./request.ts";

/**
 * How a verifier derives the canonical URI and query from the wire.
 * - `compatible`: reproduce what Alibaba's Node signer (`@alicloud/openapi-util`
 *   `getAuthorization`) computes for the request FC's own Node sample sends: the wire path with
 *   first-occurrence rewrites, raw decoded query keys. Every official-SDK request verifies.
 * - `strict`: decode, then re-encode path segments, query keys and values per RFC 3986. Rejects
 *   the ten Node-quirk requests of the conformance set, accepts everything else.
 */
export type Acs3Mode = "compatible" | "strict";

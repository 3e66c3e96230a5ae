/**
 * The auth log's filters the console offers (docs/console.md): by access key and by outcome,
 * beside the function, time and request id `GET /sigil/v1/logs` already took. Every query
 * parameter is one of the known ones or the request is refused: a misspelt filter must not
 * silently answer the whole log.
 */
import { SigilError } from "../errors.ts";
import type { AuditQuery } from "../store/store.ts";
import type { AuditRecord } from "../store/types.ts";

const KNOWN = new Set([
	"function",
	"after",
	"limit",
	"since",
	"requestId",
	"key",
	"outcome",
]);
const KEY_ID = /^[A-Z0-9]{16,128}$/;
const OUTCOME_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

export type LogFilters = Pick<AuditQuery, "accessKeyId" | "outcome">;

export function readLogFilters(q: URLSearchParams): LogFilters {
	for (const name of q.keys())
		if (!KNOWN.has(name))
			throw new SigilError(
				"BAD_REQUEST",
				`unknown parameter ${JSON.stringify(name.slice(0, 40))}: the log takes function, key, outcome, since, requestId, after, limit`,
			);
	for (const name of KNOWN)
		if (q.getAll(name).length > 1)
			throw new SigilError("BAD_REQUEST", `${name} is given more than once`);
	const key = q.get("key");
	if (key !== null && !KEY_ID.test(key))
		throw new SigilError(
			"BAD_REQUEST",
			"key must be an access key id (AKIA…, ASIA…)",
		);
	const outcome = q.get("outcome");
	if (
		outcome !== null &&
		outcome !== "ok" &&
		outcome !== "failed" &&
		!OUTCOME_CODE.test(outcome)
	)
		throw new SigilError(
			"BAD_REQUEST",
			"outcome must be ok, failed or an outcome code (SIGNATURE_MISMATCH, ACCESS_DENIED, …)",
		);
	return {
		...(key !== null && { accessKeyId: key }),
		...(outcome !== null && {
			outcome:
				outcome === "ok"
					? { is: "OK" }
					: outcome === "failed"
						? { isNot: "OK" }
						: { is: outcome },
		}),
	};
}

/** The filters applied to records, for an adapter that did not apply them itself. */
export function matchesLogFilters(r: AuditRecord, f: LogFilters): boolean {
	if (f.accessKeyId !== undefined && r.accessKeyId !== f.accessKeyId)
		return false;
	if (f.outcome === undefined) return true;
	return "is" in f.outcome
		? r.outcome === f.outcome.is
		: r.outcome !== f.outcome.isNot;
}

/**
 * The auth log: every decision the gateway recorded for this account (scheme, principal,
 * outcome, reason, likely cause), filtered by function, key and outcome on the server
 * (GET /sigil/v1/logs), refreshed on demand or polled with `after`.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { href } from "../lib/route.ts";
import type { LogPage, LogRecord } from "../lib/types.ts";
import { Failure, Field, formatTime, Section, useApi } from "../ui.tsx";

const POLL_MS = 2000;
const KEEP = 500;

export function reasonOf(r: LogRecord): string {
	const d = r.detail;
	if (!d) return "";
	if (d.authorization)
		return [
			d.authorization.decision,
			d.authorization.action,
			d.authorization.reason,
		]
			.filter(Boolean)
			.join(" · ");
	return d.message ?? "";
}

export function AuthLogPage({ initialFunction }: { initialFunction?: string }) {
	const api = useApi();
	const [fn, setFn] = useState(initialFunction ?? "");
	const [key, setKey] = useState("");
	const [outcome, setOutcome] = useState("");
	const [applied, setApplied] = useState({
		fn: initialFunction ?? "",
		key: "",
		outcome: "",
	});
	const [records, setRecords] = useState<LogRecord[] | null>(null);
	const [error, setError] = useState<unknown>(undefined);
	const [polling, setPolling] = useState(false);
	const next = useRef<number | null>(null);

	const query = (after: number | null) => {
		const q = new URLSearchParams({ limit: "200" });
		if (applied.fn) q.set("function", applied.fn);
		if (applied.key) q.set("key", applied.key);
		if (applied.outcome) q.set("outcome", applied.outcome);
		if (after !== null) q.set("after", String(after));
		return `/logs?${q}`;
	};

	const load = async (incremental: boolean) => {
		try {
			const page = await api.sigil<LogPage>(
				"GET",
				query(incremental ? next.current : null),
			);
			setError(undefined);
			if (page.records.length)
				next.current =
					page.records[page.records.length - 1]?.id ?? next.current;
			else if (!incremental) next.current = page.next;
			setRecords((old) =>
				(incremental && old
					? [...[...page.records].reverse(), ...old]
					: [...page.records].reverse()
				).slice(0, KEEP),
			);
		} catch (err) {
			setError(err);
			setRecords(null);
			setPolling(false);
		}
	};

	useEffect(() => {
		next.current = null;
		void load(false);
	}, [applied]);

	useEffect(() => {
		if (!polling) return;
		const timer = setInterval(() => void load(true), POLL_MS);
		return () => clearInterval(timer);
	}, [polling, applied]);

	return (
		<Section
			title="Auth log"
			actions={
				<>
					<button type="button" onClick={() => void load(false)}>
						Refresh
					</button>
					<label class="toggle">
						<input
							type="checkbox"
							checked={polling}
							onChange={(e) => setPolling(e.currentTarget.checked)}
						/>
						Live
					</label>
				</>
			}
		>
			<form
				class="inline-form"
				aria-label="Filter the auth log"
				onSubmit={(e) => {
					e.preventDefault();
					setApplied({ fn: fn.trim(), key: key.trim(), outcome });
				}}
			>
				<Field label="Function">
					<input
						value={fn}
						onInput={(e) => setFn(e.currentTarget.value)}
						placeholder="any"
					/>
				</Field>
				<Field label="Access key id">
					<input
						value={key}
						onInput={(e) => setKey(e.currentTarget.value)}
						placeholder="any"
					/>
				</Field>
				<Field label="Outcome">
					<select
						value={outcome}
						onChange={(e) => setOutcome(e.currentTarget.value)}
					>
						<option value="">any</option>
						<option value="ok">allowed (OK)</option>
						<option value="failed">refused or failed</option>
						<option value="SIGNATURE_MISMATCH">SIGNATURE_MISMATCH</option>
						<option value="ACCESS_DENIED">ACCESS_DENIED</option>
					</select>
				</Field>
				<button type="submit">Apply filters</button>
			</form>
			{error !== undefined && <Failure error={error} />}
			{records && records.length === 0 && (
				<p class="muted">No records match.</p>
			)}
			{records && records.length > 0 && (
				<div class="table-wrap">
					<table class="auth-log">
						<thead>
							<tr>
								<th scope="col">Time</th>
								<th scope="col">Outcome</th>
								<th scope="col">Scheme</th>
								<th scope="col">Principal / key</th>
								<th scope="col">Function</th>
								<th scope="col">Reason and likely cause</th>
								<th scope="col">
									<span class="sr-only">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{records.map((r) => (
								<tr
									key={r.id}
									data-request-id={r.requestId}
									class={r.outcome === "OK" ? "ok" : "refused"}
								>
									<td>{formatTime(r.time)}</td>
									<td>
										<span class="badge">{r.outcome}</span> {r.status}
									</td>
									<td>{r.scheme}</td>
									<td class="mono wrap">
										{r.principal ?? "anonymous"}
										{r.accessKeyId && <div>{r.accessKeyId}</div>}
									</td>
									<td>
										{r.function && (
											<a href={href({ page: "function", name: r.function })}>
												{r.function}
											</a>
										)}
									</td>
									<td class="wrap">
										{reasonOf(r)}
										{r.detail?.diagnosis?.likelyCause && (
											<div class="cause">
												Likely cause: {r.detail.diagnosis.likelyCause}
											</div>
										)}
									</td>
									<td>
										{r.outcome !== "OK" && (
											<a
												class="button small"
												href={href({
													page: "debugger",
													requestId: r.requestId,
												})}
											>
												Debug
											</a>
										)}
									</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
		</Section>
	);
}

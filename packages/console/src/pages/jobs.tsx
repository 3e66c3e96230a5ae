/** Asynchronous invocations: status, attempts, last error and how the callback was delivered. */
import { useState } from "preact/hooks";
import { href } from "../lib/route.ts";
import type { Job } from "../lib/types.ts";
import { Field, formatTime, Section, Show, useApi, useLoad } from "../ui.tsx";

function JobDetail({ id }: { id: string }) {
	const api = useApi();
	const loaded = useLoad(
		() => api.sigil<{ job: Job }>("GET", `/jobs/${encodeURIComponent(id)}`),
		[id],
	);
	return (
		<Section title={`Job ${id}`}>
			<Show loaded={loaded}>
				{({ job }) => (
					<>
						<dl class="facts">
							{(
								[
									["Function", job.function],
									["Kind", job.kind],
									["Status", job.status],
									["Attempts", `${job.attempts} of ${job.maxAttempts}`],
									["Next attempt", formatTime(job.nextAttemptAt)],
									["Last error", job.lastError ?? ""],
									["Callback URL", job.callbackUrl ?? ""],
									["Created", formatTime(job.createdAt)],
									["Updated", formatTime(job.updatedAt)],
								] as const
							)
								.filter(([, v]) => v)
								.map(([k, v]) => (
									<div key={k}>
										<dt>{k}</dt>
										<dd>{v}</dd>
									</div>
								))}
						</dl>
						<h3>Callback delivery</h3>
						{job.callback ? (
							<pre class="code">{JSON.stringify(job.callback, null, 2)}</pre>
						) : (
							<p class="muted">
								No callback delivered (none asked for, or not yet).
							</p>
						)}
					</>
				)}
			</Show>
		</Section>
	);
}

export function JobsPage({ id }: { id?: string }) {
	const api = useApi();
	const [fn, setFn] = useState("");
	const [status, setStatus] = useState("");
	const [applied, setApplied] = useState({ fn: "", status: "" });
	const loaded = useLoad(() => {
		const q = new URLSearchParams({ limit: "200" });
		if (applied.fn) q.set("function", applied.fn);
		if (applied.status) q.set("status", applied.status);
		return api.sigil<{ jobs: Job[] }>("GET", `/jobs?${q}`);
	}, [applied]);
	return (
		<div class="page">
			{id && <JobDetail id={id} />}
			<Section
				title="Jobs"
				actions={
					<button type="button" onClick={loaded.reload}>
						Refresh
					</button>
				}
			>
				<form
					class="inline-form"
					aria-label="Filter jobs"
					onSubmit={(e) => {
						e.preventDefault();
						setApplied({ fn: fn.trim(), status });
					}}
				>
					<Field label="Function">
						<input
							value={fn}
							onInput={(e) => setFn(e.currentTarget.value)}
							placeholder="any"
						/>
					</Field>
					<Field label="Status">
						<select
							value={status}
							onChange={(e) => setStatus(e.currentTarget.value)}
						>
							<option value="">any</option>
							{["queued", "running", "succeeded", "failed", "dead"].map((s) => (
								<option key={s}>{s}</option>
							))}
						</select>
					</Field>
					<button type="submit">Apply filters</button>
				</form>
				<Show loaded={loaded}>
					{({ jobs }) =>
						jobs.length === 0 ? (
							<p class="muted">No jobs.</p>
						) : (
							<div class="table-wrap">
								<table>
									<thead>
										<tr>
											<th scope="col">Job</th>
											<th scope="col">Function</th>
											<th scope="col">Status</th>
											<th scope="col">Attempts</th>
											<th scope="col">Last error</th>
											<th scope="col">Callback</th>
											<th scope="col">Created</th>
										</tr>
									</thead>
									<tbody>
										{jobs.map((j) => (
											<tr key={j.id}>
												<td class="mono">
													<a href={href({ page: "jobs", id: j.id })}>{j.id}</a>
												</td>
												<td>{j.function}</td>
												<td>
													<span class="badge">{j.status}</span>
												</td>
												<td>
													{j.attempts}/{j.maxAttempts}
												</td>
												<td class="wrap">{j.lastError ?? ""}</td>
												<td>
													{j.callback
														? `${j.callback.outcome} ${j.callback.httpStatus ?? ""}`
														: ""}
												</td>
												<td>{formatTime(j.createdAt)}</td>
											</tr>
										))}
									</tbody>
								</table>
							</div>
						)
					}
				</Show>
			</Section>
		</div>
	);
}

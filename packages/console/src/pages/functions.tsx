/** Functions: the list, and one function's detail with its policy, invocations and logs. */
import { useState } from "preact/hooks";
import { ApiError } from "../lib/errors.ts";
import { type InvokeResult, invokeFunction } from "../lib/invoke.ts";
import { href } from "../lib/route.ts";
import type { FunctionView, LogPage, PolicyStatement } from "../lib/types.ts";
import {
	CopyButton,
	Failure,
	Field,
	formatTime,
	Section,
	Show,
	useAction,
	useApi,
	useLoad,
} from "../ui.tsx";

export function FunctionsPage() {
	const api = useApi();
	const loaded = useLoad(
		() => api.sigil<{ functions: FunctionView[] }>("GET", "/functions"),
		[],
	);
	return (
		<Section
			title="Functions"
			actions={
				<button type="button" onClick={loaded.reload}>
					Refresh
				</button>
			}
		>
			<Show loaded={loaded}>
				{({ functions }) =>
					functions.length === 0 ? (
						<p class="muted">No functions are deployed in this account.</p>
					) : (
						<div class="table-wrap">
							<table>
								<thead>
									<tr>
										<th scope="col">Name</th>
										<th scope="col">Runtime</th>
										<th scope="col">Trigger auth</th>
										<th scope="col">Revision</th>
										<th scope="col">Updated</th>
									</tr>
								</thead>
								<tbody>
									{functions.map((f) => (
										<tr key={f.name} data-function={f.name}>
											<td>
												<a href={href({ page: "function", name: f.name })}>
													{f.name}
												</a>
											</td>
											<td>{f.runtime}</td>
											<td>
												<span class={`badge auth-${f.auth}`}>{f.auth}</span>
											</td>
											<td>{String(f.revision)}</td>
											<td>{formatTime(f.updatedAt)}</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)
				}
			</Show>
		</Section>
	);
}

function Facts({ rows }: { rows: [string, string | undefined][] }) {
	return (
		<dl class="facts">
			{rows
				.filter(([, v]) => v !== undefined && v !== "")
				.map(([k, v]) => (
					<div key={k}>
						<dt>{k}</dt>
						<dd>{v}</dd>
					</div>
				))}
		</dl>
	);
}

function Overview({ fn }: { fn: FunctionView }) {
	const c = fn.config;
	const t = c.trigger ?? { auth: "none" };
	const cors = t.cors;
	return (
		<Section title="Overview">
			<Facts
				rows={[
					["Runtime", fn.runtime],
					["Revision", String(fn.revision)],
					["Description", c.description],
					["ARN", fn.arn],
					["Code", `${fn.codeSize} bytes, sha256 ${fn.codeSha256}`],
					["Updated", formatTime(fn.updatedAt)],
				]}
			/>
			<div class="url-row">
				<label class="field grow">
					<span class="label">Trigger URL</span>
					<input type="text" readOnly value={fn.url} aria-label="Trigger URL" />
				</label>
				<CopyButton text={fn.url} label="Copy the trigger URL" />
			</div>
			<h3>Trigger</h3>
			<Facts
				rows={[
					["Auth type", t.auth],
					["SigV4 services", t.services?.join(", ")],
					["Secrets", t.secrets?.join(", ")],
					["HMAC header", t.header],
					["HMAC algorithms", t.algorithms?.join(", ")],
					[
						"Largest body",
						t.maxBodyBytes === undefined
							? "6291456 bytes (default)"
							: `${t.maxBodyBytes} bytes`,
					],
				]}
			/>
			<h3>CORS</h3>
			{cors ? (
				<Facts
					rows={[
						["Allowed origins", cors.allowOrigins?.join(", ")],
						["Allowed methods", cors.allowMethods?.join(", ")],
						["Allowed headers", cors.allowHeaders?.join(", ")],
						["Exposed headers", cors.exposeHeaders?.join(", ")],
						[
							"Credentials",
							cors.allowCredentials === undefined
								? undefined
								: String(cors.allowCredentials),
						],
						[
							"Max age",
							cors.maxAge === undefined ? undefined : `${cors.maxAge} s`,
						],
					]}
				/>
			) : (
				<p class="muted">
					No CORS: browsers on other origins cannot call this trigger.
				</p>
			)}
			<h3>Limits</h3>
			<Facts
				rows={[
					[
						"Timeout",
						c.timeout === undefined ? "30s (default)" : String(c.timeout),
					],
					["Memory", `${c.memory ?? 256} MB`],
					[
						"Instances",
						`${c.concurrency?.min ?? 0}–${c.concurrency?.max ?? 4}`,
					],
					[
						"Warm now",
						fn.instances
							? `${fn.instances.instances} (${fn.instances.ready} ready, ${fn.instances.busy} busy, ${fn.instances.queued} waiting; ${fn.instances.started} started)`
							: fn.instances === null
								? "none kept (a process per request)"
								: undefined,
					],
					[
						"Requests per instance",
						// The gateway's defaults (function-config.ts): 8 for node, 1 elsewhere.
						String(
							c.concurrency?.perInstance ?? (fn.runtime === "node" ? 8 : 1),
						),
					],
					["Queue", String(c.concurrency?.queue ?? 100)],
					[
						"Reserved concurrency",
						c.reservedConcurrency === undefined
							? undefined
							: String(c.reservedConcurrency),
					],
					["Network", c.network ?? "full"],
				]}
			/>
		</Section>
	);
}

function statementsOf(policy: string): PolicyStatement[] {
	const doc = JSON.parse(policy) as {
		Statement?: PolicyStatement[] | PolicyStatement;
	};
	const s = doc.Statement;
	return Array.isArray(s) ? s : s ? [s] : [];
}

function ResourcePolicy({ name }: { name: string }) {
	const api = useApi();
	const path = `/functions/${encodeURIComponent(name)}/policy`;
	const loaded = useLoad(async () => {
		try {
			const p = await api.sigil<{ Policy: string }>("GET", path);
			return statementsOf(p.Policy);
		} catch (err) {
			// No statement yet is Lambda's ResourceNotFound, not a failure to show.
			if (err instanceof ApiError && err.status === 404) return [];
			throw err;
		}
	}, [name]);
	const action = useAction();
	const [sid, setSid] = useState("");
	const [principal, setPrincipal] = useState("");
	const [act, setAct] = useState("lambda:InvokeFunction");
	const [sourceArn, setSourceArn] = useState("");
	return (
		<Section title="Resource policy">
			<Show loaded={loaded}>
				{(statements) =>
					statements.length === 0 ? (
						<p class="muted">
							No statements: only this account's own principals may call it, by
							their policies.
						</p>
					) : (
						<ul class="statements">
							{statements.map((s) => (
								<li key={s.Sid} data-sid={s.Sid}>
									<pre class="code">{JSON.stringify(s, null, 2)}</pre>
									<button
										type="button"
										class="danger small"
										aria-label={`Remove statement ${s.Sid ?? ""}`}
										disabled={action.busy}
										onClick={() =>
											action.run(async () => {
												await api.sigil(
													"DELETE",
													`${path}/${encodeURIComponent(s.Sid ?? "")}`,
												);
												loaded.reload();
											})
										}
									>
										Remove
									</button>
								</li>
							))}
						</ul>
					)
				}
			</Show>
			<form
				class="inline-form"
				aria-label="Add a statement"
				onSubmit={(e) => {
					e.preventDefault();
					void action.run(async () => {
						await api.sigil("POST", path, {
							StatementId: sid,
							Action: act,
							Principal: principal,
							...(sourceArn && { SourceArn: sourceArn }),
						});
						setSid("");
						setPrincipal("");
						setSourceArn("");
						loaded.reload();
					});
				}}
			>
				<Field label="Statement id">
					<input
						required
						value={sid}
						onInput={(e) => setSid(e.currentTarget.value)}
					/>
				</Field>
				<Field label="Action">
					<select value={act} onChange={(e) => setAct(e.currentTarget.value)}>
						<option>lambda:InvokeFunction</option>
						<option>lambda:InvokeFunctionUrl</option>
						<option>lambda:GetFunction</option>
						<option>lambda:*</option>
					</select>
				</Field>
				<Field label="Principal" hint="an account id, an ARN, a service or *">
					<input
						required
						value={principal}
						onInput={(e) => setPrincipal(e.currentTarget.value)}
					/>
				</Field>
				<Field label="Source ARN (optional)">
					<input
						value={sourceArn}
						onInput={(e) => setSourceArn(e.currentTarget.value)}
					/>
				</Field>
				<button type="submit" disabled={action.busy}>
					Add statement
				</button>
			</form>
			{action.error !== undefined && <Failure error={action.error} />}
		</Section>
	);
}

function Invoke({ fn, onInvoked }: { fn: FunctionView; onInvoked(): void }) {
	const api = useApi();
	const [method, setMethod] = useState<"GET" | "POST">("POST");
	const [body, setBody] = useState('{"hello":"console"}');
	const [result, setResult] = useState<InvokeResult | null>(null);
	const action = useAction();
	return (
		<Section title="Invoke">
			<form
				aria-label="Invoke the function"
				onSubmit={(e) => {
					e.preventDefault();
					void action.run(async () => {
						setResult(await invokeFunction(api, fn, method, body));
						onInvoked();
					});
				}}
			>
				<Field label="Method">
					<select
						value={method}
						onChange={(e) => setMethod(e.currentTarget.value as "GET" | "POST")}
					>
						<option>POST</option>
						<option>GET</option>
					</select>
				</Field>
				<Field label="Request body">
					<textarea
						rows={4}
						value={body}
						onInput={(e) => setBody(e.currentTarget.value)}
					/>
				</Field>
				<button type="submit" disabled={action.busy}>
					{action.busy ? "Invoking…" : "Invoke"}
				</button>
			</form>
			{action.error !== undefined && <Failure error={action.error} />}
			{result && (
				<div class="invoke-result" aria-live="polite">
					<p>
						<strong>HTTP {result.status}</strong> · signed as {result.signedAs}
					</p>
					<pre class="code response-body">{result.text.slice(0, 65536)}</pre>
				</div>
			)}
		</Section>
	);
}

function Invocations({ name, tick }: { name: string; tick: number }) {
	const api = useApi();
	const loaded = useLoad(
		() =>
			api.sigil<LogPage>(
				"GET",
				`/logs?function=${encodeURIComponent(name)}&limit=50`,
			),
		[name, tick],
	);
	return (
		<Section
			title="Recent invocations and logs"
			actions={
				<>
					<a href={href({ page: "auth-log", function: name })}>Auth log</a>
					<button type="button" onClick={loaded.reload}>
						Refresh
					</button>
				</>
			}
		>
			<Show loaded={loaded}>
				{({ records }) =>
					records.length === 0 ? (
						<p class="muted">No invocations recorded yet.</p>
					) : (
						<ol class="records">
							{[...records].reverse().map((r) => (
								<li key={r.id} class={r.outcome === "OK" ? "ok" : "refused"}>
									<div class="record-head">
										<span>{formatTime(r.time)}</span>
										<span class="badge">{r.outcome}</span>
										<span>HTTP {r.status}</span>
										<span>{r.durationMs} ms</span>
										<span class="mono">{r.requestId}</span>
										{r.principal && <span class="mono">{r.principal}</span>}
									</div>
									{r.logs && <pre class="code log-lines">{r.logs}</pre>}
								</li>
							))}
						</ol>
					)
				}
			</Show>
		</Section>
	);
}

interface VersionView {
	Version: string;
	Description?: string;
	CodeSha256?: string;
	LastModified?: string;
}
interface AliasView {
	Name: string;
	FunctionVersion: string;
	Description?: string;
	RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
}

function VersionsAndAliases({ name }: { name: string }) {
	const api = useApi();
	const base = `/functions/${encodeURIComponent(name)}`;
	const loaded = useLoad(async () => {
		const [v, a] = await Promise.all([
			api.sigil<{ Versions: VersionView[] }>("GET", `${base}/versions`),
			api.sigil<{ Aliases: AliasView[] }>("GET", `${base}/aliases`),
		]);
		return { versions: v.Versions ?? [], aliases: a.Aliases ?? [] };
	}, [name]);
	const action = useAction();
	return (
		<Section
			title="Versions and aliases"
			actions={
				<button
					type="button"
					disabled={action.busy}
					onClick={() =>
						action.run(async () => {
							await api.sigil("POST", `${base}/versions`, {});
							loaded.reload();
						})
					}
				>
					Publish version
				</button>
			}
		>
			{action.error !== undefined && <Failure error={action.error} />}
			<Show loaded={loaded}>
				{({ versions, aliases }) => (
					<>
						<ul class="plain-list versions">
							{versions.map((v) => (
								<li key={v.Version}>
									<strong>{v.Version}</strong>
									<span class="muted">{v.Description}</span>
									<span class="mono muted">{v.CodeSha256}</span>
									<span>{v.LastModified}</span>
								</li>
							))}
						</ul>
						<h3>Aliases</h3>
						{aliases.length === 0 ? (
							<p class="muted">No aliases.</p>
						) : (
							<ul class="plain-list aliases">
								{aliases.map((a) => (
									<li key={a.Name}>
										<strong>{a.Name}</strong> → version {a.FunctionVersion}
										{a.RoutingConfig?.AdditionalVersionWeights &&
											Object.entries(
												a.RoutingConfig.AdditionalVersionWeights,
											).map(([ver, w]) => (
												<span key={ver} class="muted">
													{" "}
													(+ version {ver} at {Math.round(w * 100)}%)
												</span>
											))}
										<span class="muted">{a.Description}</span>
									</li>
								))}
							</ul>
						)}
					</>
				)}
			</Show>
		</Section>
	);
}

export function FunctionPage({ name }: { name: string }) {
	const api = useApi();
	const loaded = useLoad(
		() =>
			api.sigil<{ function: FunctionView }>(
				"GET",
				`/functions/${encodeURIComponent(name)}`,
			),
		[name],
	);
	const [tick, setTick] = useState(0);
	return (
		<div class="page">
			<p>
				<a href={href({ page: "functions" })}>← Functions</a>
			</p>
			<h1 class="fn-name">{name}</h1>
			<Show loaded={loaded}>
				{({ function: fn }) => (
					<>
						<Overview fn={fn} />
						<Invoke fn={fn} onInvoked={() => setTick((t) => t + 1)} />
						<Invocations name={name} tick={tick} />
						<VersionsAndAliases name={name} />
						<ResourcePolicy name={name} />
					</>
				)}
			</Show>
		</div>
	);
}

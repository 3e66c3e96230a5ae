/**
 * The signature debugger: a refused request from the auth log, a raw HTTP request or a curl
 * command goes to POST /sigil/v1/signature-debug; the gateway (which holds the secret) answers
 * with its canonical request, string to sign, the differences from what the client signed and
 * the likely cause. The page only shows the answer, as text.
 */
import { useEffect, useState } from "preact/hooks";
import type { DebugAnswer, LogPage } from "../lib/types.ts";
import {
	Failure,
	Field,
	formatTime,
	Section,
	useAction,
	useApi,
	useLoad,
} from "../ui.tsx";

type Input = "auditId" | "raw" | "curl";

const OUTCOME_TEXT: Record<DebugAnswer["outcome"], string> = {
	valid: "The signature is valid for this key.",
	mismatch: "The signature does not match.",
	refused: "The request is refused before any signature comparison.",
};

function Answer({ answer }: { answer: DebugAnswer }) {
	return (
		<div class="debug-answer" aria-live="polite">
			<p class={`verdict ${answer.outcome}`}>
				<strong>{OUTCOME_TEXT[answer.outcome]}</strong> {answer.code} ·{" "}
				{answer.scheme}
				{answer.form ? ` (${answer.form})` : ""}
				{answer.accessKeyId ? ` · key ${answer.accessKeyId}` : ""}
			</p>
			{answer.message && <p>{answer.message}</p>}
			{answer.likelyCause && (
				<div class="likely-cause" role="status">
					<h3>Likely cause: {answer.likelyCause.code}</h3>
					<p>{answer.likelyCause.text}</p>
				</div>
			)}
			{!answer.likelyCause && answer.outcome !== "valid" && (
				<p class="muted no-cause">
					The gateway names no likely cause here. A request refused before its
					key was looked up (a wrong region or service in the scope, a malformed
					header) keeps no diagnosis in the log: paste the request itself as raw
					or curl to have it checked.
				</p>
			)}
			{answer.differences && (
				<>
					<h3>Differences from what the client signed</h3>
					{answer.differences.length === 0 ? (
						<p class="muted">
							None: the client's text and the gateway's are the same.
						</p>
					) : (
						<div class="table-wrap">
							<table class="differences">
								<thead>
									<tr>
										<th scope="col">Text</th>
										<th scope="col">Line</th>
										<th scope="col">Part</th>
										<th scope="col">Client</th>
										<th scope="col">Gateway</th>
									</tr>
								</thead>
								<tbody>
									{answer.differences.map((d) => (
										<tr key={`${d.in}-${d.line}`}>
											<td>{d.in}</td>
											<td>{d.line}</td>
											<td>{d.part}</td>
											<td class="mono wrap del">{d.client ?? "(none)"}</td>
											<td class="mono wrap ins">{d.gateway ?? "(none)"}</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)}
				</>
			)}
			{answer.canonicalRequest !== null && (
				<>
					<h3>Canonical request (the gateway's)</h3>
					<pre class="code canonical-request">{answer.canonicalRequest}</pre>
				</>
			)}
			{answer.stringToSign !== null && (
				<>
					<h3>String to sign (the gateway's)</h3>
					<pre class="code string-to-sign">{answer.stringToSign}</pre>
				</>
			)}
			{answer.details && Object.keys(answer.details).length > 0 && (
				<>
					<h3>Details</h3>
					<dl class="facts">
						{Object.entries(answer.details).map(([k, v]) => (
							<div key={k}>
								<dt>{k}</dt>
								<dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
							</div>
						))}
					</dl>
				</>
			)}
		</div>
	);
}

export function DebuggerPage({ requestId }: { requestId?: string }) {
	const api = useApi();
	const [input, setInput] = useState<Input>(requestId ? "auditId" : "raw");
	const [auditId, setAuditId] = useState(requestId ?? "");
	const [raw, setRaw] = useState("");
	const [curl, setCurl] = useState("");
	const [clientCanonical, setClientCanonical] = useState("");
	const [clientStringToSign, setClientStringToSign] = useState("");
	const [answer, setAnswer] = useState<DebugAnswer | null>(null);
	const action = useAction();
	const refused = useLoad(
		() => api.sigil<LogPage>("GET", "/logs?outcome=failed&limit=50"),
		[],
	);

	const submit = () =>
		action.run(async () => {
			setAnswer(null);
			const subject =
				input === "auditId"
					? { auditId: auditId.trim() }
					: input === "raw"
						? { raw }
						: { curl };
			setAnswer(
				await api.sigil<DebugAnswer>("POST", "/signature-debug", {
					...subject,
					...(clientCanonical.trim() && {
						clientCanonicalRequest: clientCanonical,
					}),
					...(clientStringToSign.trim() && { clientStringToSign }),
				}),
			);
		});

	// A request picked in the auth log is debugged at once.
	useEffect(() => {
		if (requestId) void submit();
	}, [requestId]);

	return (
		<div class="page">
			<Section title="Signature debugger">
				<p class="muted">
					Why was a request refused? The gateway rebuilds what it expected and
					compares. Secrets never leave the gateway: a curl command's --user
					secret is used once to sign and then forgotten.
				</p>
				<form
					aria-label="Debug a signature"
					onSubmit={(e) => {
						e.preventDefault();
						void submit();
					}}
				>
					<fieldset>
						<legend>What to check</legend>
						{(
							[
								["auditId", "A refused request from the auth log"],
								["raw", "A raw HTTP request"],
								["curl", "A curl command"],
							] as const
						).map(([value, text]) => (
							<label key={value} class="radio">
								<input
									type="radio"
									name="debug-input"
									value={value}
									checked={input === value}
									onChange={() => setInput(value)}
								/>
								{text}
							</label>
						))}
					</fieldset>
					{input === "auditId" && (
						<>
							<Field label="Refused request">
								<select
									value={auditId}
									onChange={(e) => setAuditId(e.currentTarget.value)}
								>
									<option value="">choose one…</option>
									{refused.data?.records
										.slice()
										.reverse()
										.map((r) => (
											<option key={r.id} value={r.requestId}>
												{`${formatTime(r.time)} ${r.outcome} ${r.scheme} ${r.function ?? ""} ${r.accessKeyId ?? ""}`}
											</option>
										))}
									{auditId &&
										!refused.data?.records.some(
											(r) => r.requestId === auditId,
										) && <option value={auditId}>{auditId}</option>}
								</select>
							</Field>
							{refused.error !== undefined && <Failure error={refused.error} />}
						</>
					)}
					{input === "raw" && (
						<Field
							label="Raw HTTP request"
							hint="request line, headers, a blank line, the body"
						>
							<textarea
								rows={10}
								class="mono"
								spellcheck={false}
								value={raw}
								onInput={(e) => setRaw(e.currentTarget.value)}
							/>
						</Field>
					)}
					{input === "curl" && (
						<Field label="curl command">
							<textarea
								rows={5}
								class="mono"
								spellcheck={false}
								value={curl}
								onInput={(e) => setCurl(e.currentTarget.value)}
							/>
						</Field>
					)}
					<details>
						<summary>The client's own canonical request (optional)</summary>
						<Field
							label="Client canonical request"
							hint="botocore and the SDKs print it in debug logs"
						>
							<textarea
								rows={8}
								class="mono"
								spellcheck={false}
								value={clientCanonical}
								onInput={(e) => setClientCanonical(e.currentTarget.value)}
							/>
						</Field>
						<Field label="Client string to sign">
							<textarea
								rows={4}
								class="mono"
								spellcheck={false}
								value={clientStringToSign}
								onInput={(e) => setClientStringToSign(e.currentTarget.value)}
							/>
						</Field>
					</details>
					<button type="submit" disabled={action.busy}>
						{action.busy ? "Checking…" : "Check the signature"}
					</button>
				</form>
				{action.error !== undefined && <Failure error={action.error} />}
			</Section>
			{answer && (
				<Section title="Diagnosis">
					<Answer answer={answer} />
				</Section>
			)}
		</div>
	);
}

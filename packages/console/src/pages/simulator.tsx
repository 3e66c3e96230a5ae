/** The policy simulator (POST /sigil/v1/simulate): the decision and the statement that decided. */
import { useState } from "preact/hooks";
import { parseJsonWithPositions } from "../lib/json-positions.ts";
import type { SimulationResult } from "../lib/types.ts";
import { Failure, Field, Section, useAction, useApi } from "../ui.tsx";

export function SimulatorPage() {
	const api = useApi();
	const [principal, setPrincipal] = useState(api.session.arn);
	const [act, setAct] = useState("lambda:InvokeFunction");
	const [resource, setResource] = useState(
		`arn:aws:lambda:${api.session.region}:${api.session.account}:function:hello`,
	);
	const [context, setContext] = useState("");
	const [result, setResult] = useState<SimulationResult | null>(null);
	const action = useAction();
	const contextOk = context.trim() === "" || parseJsonWithPositions(context).ok;
	return (
		<Section title="Policy simulator">
			<form
				aria-label="Simulate a request"
				onSubmit={(e) => {
					e.preventDefault();
					void action.run(async () => {
						setResult(null);
						setResult(
							await api.sigil<SimulationResult>("POST", "/simulate", {
								principal,
								action: act,
								resource,
								...(context.trim() && { context: JSON.parse(context) }),
							}),
						);
					});
				}}
			>
				<Field
					label="Principal ARN"
					hint="a principal of your account, or * for an anonymous caller"
				>
					<input
						required
						value={principal}
						onInput={(e) => setPrincipal(e.currentTarget.value)}
					/>
				</Field>
				<Field label="Action">
					<input
						required
						value={act}
						onInput={(e) => setAct(e.currentTarget.value)}
					/>
				</Field>
				<Field label="Resource ARN">
					<input
						required
						value={resource}
						onInput={(e) => setResource(e.currentTarget.value)}
					/>
				</Field>
				<Field
					label="Context (optional JSON object)"
					hint='e.g. {"aws:SourceIp": "127.0.0.1"}'
				>
					<textarea
						rows={3}
						class="mono"
						aria-invalid={!contextOk}
						value={context}
						onInput={(e) => setContext(e.currentTarget.value)}
					/>
				</Field>
				{!contextOk && (
					<p class="check bad" role="status">
						The context is not valid JSON.
					</p>
				)}
				<button type="submit" disabled={action.busy || !contextOk}>
					Simulate
				</button>
			</form>
			{action.error !== undefined && <Failure error={action.error} />}
			{result && (
				<div class="simulation" aria-live="polite">
					<p class={`verdict ${result.allowed ? "valid" : "mismatch"}`}>
						<strong>{result.allowed ? "Allowed" : "Denied"}</strong> ·{" "}
						{result.decision} · {result.reason}
						{result.crossAccount ? " · cross-account" : ""}
					</p>
					<h3>Explanation</h3>
					<pre class="code simulation-explanation">{result.explanation}</pre>
					{result.decidedBy !== undefined && result.decidedBy !== null && (
						<>
							<h3>Deciding statement</h3>
							<pre class="code deciding-statement">
								{JSON.stringify(result.decidedBy, null, 2)}
							</pre>
						</>
					)}
					<h3>Matched statements</h3>
					<pre class="code">{JSON.stringify(result.matched, null, 2)}</pre>
				</div>
			)}
		</Section>
	);
}

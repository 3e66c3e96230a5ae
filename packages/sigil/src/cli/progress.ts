/**
 * Progress for long work (packing and uploading a bundle, waiting while the gateway starts the
 * function's instances), shown to a person only: one self-rewriting line on stderr when stderr
 * is a terminal, nothing at all when it is piped, redirected, `TERM=dumb` or `--json` — so logs
 * and scripts see exactly the output they saw before. The line is erased before anything else
 * is printed.
 */
import type { CliIo } from "./io.ts";

export interface Progress {
	/** Starts a phase: `uploading hello`. */
	phase(text: string): void;
	/** Bytes of the current phase done so far. */
	bytes(done: number, total: number): void;
	/** Erases the line (call before printing a result or an error). */
	clear(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** `1.2 MB`, `340 KB`: enough precision to see it move. */
export function size(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
	if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
	return `${bytes} B`;
}

const SILENT: Progress = { phase() {}, bytes() {}, clear() {} };

export function progress(io: CliIo, json: boolean): Progress {
	if (json || io.stderr.isTTY !== true || io.env.TERM === "dumb") return SILENT;
	let text = "";
	let detail = "";
	let frame = 0;
	let shown = false;
	let timer: NodeJS.Timeout | undefined;
	let lastDraw = 0;
	const draw = () => {
		lastDraw = Date.now();
		frame = (frame + 1) % FRAMES.length;
		io.stderr.write(`\r\u001b[K${FRAMES[frame]} ${text}${detail}`);
		shown = true;
	};
	return {
		phase(next) {
			text = next;
			detail = "";
			// The spinner keeps moving while the gateway works and sends nothing back.
			timer ??= setInterval(draw, 120);
			timer.unref();
			draw();
		},
		bytes(done, total) {
			detail = ` ${size(done)} / ${size(total)} (${total ? Math.floor((done / total) * 100) : 100}%)`;
			if (Date.now() - lastDraw >= 50 || done === total) draw();
		},
		clear() {
			if (timer) clearInterval(timer);
			timer = undefined;
			if (shown) io.stderr.write("\r\u001b[K");
			shown = false;
		},
	};
}

// Builds the console into dist/, which the gateway serves under /console/. The page's CSP is
// `script-src 'self'; style-src 'self'`, so nothing may be inlined: no data: assets, no inline
// module-preload polyfill, one stylesheet file.
import { defineConfig } from "vite";

export default defineConfig({
	root: import.meta.dirname,
	base: "/console/",
	oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
	build: {
		outDir: "dist",
		emptyOutDir: true,
		assetsInlineLimit: 0,
		cssCodeSplit: false,
		modulePreload: { polyfill: false },
		sourcemap: false,
		target: "es2022",
	},
});

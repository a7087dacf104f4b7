import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// One build serves every event: nothing stack-specific is compiled in. The app reads
// config.json beside index.html at run time, so `base: './'` keeps every asset path
// relative (the local endpoint's root and a CloudFront distribution alike).
export default defineConfig({
  base: './',
  plugins: [react()],
  // `npm run dev` may read ../schema/operations.graphql (src/data/documents.ts imports it).
  server: { fs: { allow: ['.', '../schema'] } },
  build: {
    outDir: 'dist',
    sourcemap: false,
    // Amplify's Authenticator is only needed before sign-in; Apollo and the chat only after.
    // Both stay in the initial payload today (see benchmarks/web_client.py for its size).
    chunkSizeWarningLimit: 1500,
  },
});

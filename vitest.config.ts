import { defineConfig } from 'vitest/config';

export default defineConfig({
  // src/backends/addon-loader.cts is TypeScript too (CommonJS so that it can use require/__dirname).
  esbuild: { include: /\.([cm]?ts|[jt]sx)$/ },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});

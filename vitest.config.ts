import { defineConfig } from "vitest/config";

// Tests import sibling packages from source (the "source" export condition); e2e tests spawn the
// built `zg` binary, which `npm test` builds first.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["packages/*/test/{unit,spec}/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["packages/*/test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

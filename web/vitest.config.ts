import { defineConfig } from 'vitest/config';

// Unit tests of the UI's pure logic (web/src/lib, web/src/i18n); the browser tests are separate.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});

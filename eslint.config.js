// Lints the JavaScript Marsa serves (static/js, the SCORM player); run by tests/test_javascript.py.
// Browser scripts without a bundler: plain scripts, the service worker, and the SCORM player, which
// runs inside an LMS's frame and finds the LMS's API object by walking up window.parent.
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["static/vendor/**", "node_modules/**", "tests/**", "bench/**"] },
  {
    files: ["static/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      eqeqeq: ["error", "smart"],
      "no-implicit-globals": "error",
    },
  },
  {
    // The service worker runs in a global scope of its own, which no page shares.
    files: ["static/js/sw.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
    rules: { "no-implicit-globals": "off" },
  },
];

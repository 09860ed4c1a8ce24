// ESLint for the whole repository: `npm run lint` (with `prettier --check`), and `npm test` runs it first.
// typescript-eslint's type-aware rules read the same tsconfig files as `tsc`; Prettier owns the layout,
// so eslint-config-prettier turns off every rule that would argue with it.
import js from "@eslint/js";
import comments from "@eslint-community/eslint-plugin-eslint-comments/configs";
import pulumi from "@pulumi/eslint-plugin";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // What builds, installs and test runs write; .gitignore lists the same.
  { ignores: ["node_modules/", "dist/", "bin/", "policies/bin/", "out/", "coverage/", "rendered/"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  // The project's rule: no `any` and no silenced rule without a written reason (`// eslint-disable-next-line rule -- why`).
  comments.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@eslint-community/eslint-comments/require-description": "error",
      "@eslint-community/eslint-comments/disable-enable-pair": ["error", { allowWholeFile: true }],
      // `_name` marks a binding kept for its position (a destructured key left out, a callback's first argument).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // Off: String(value) and `${value}` on parsed YAML and JSON scalars and on caught errors are deliberate here, and
      // the rule flags every one of them, since such values are typed unknown.
      "@typescript-eslint/no-base-to-string": "off",
      // Off: an async function without await keeps the promise-returning interface its callers await (a stub that
      // will wait later, a stop() that may); the rule would ask for Promise.resolve wrappers instead.
      "@typescript-eslint/require-await": "off",
      // The rule's defaults, and arrays too: a list in a message joins with commas, which is what the messages want.
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        {
          allowAny: true,
          allowArray: true,
          allowBoolean: true,
          allowNullish: true,
          allowNumber: true,
          allowRegExp: true,
        },
      ],
      // A static method that does not use `this` (TestBed.describe) is safe to pass as a callback.
      "@typescript-eslint/unbound-method": ["error", { ignoreStatic: true }],
    },
  },
  // An Output interpolated in a plain template literal renders "Calling [toString] on an [Output<T>]...", not its value.
  {
    files: ["**/*.ts"],
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
    },
  },
  // Tests read back what the renderers and tools wrote (YAML, JSON, tool output) as parsed values, whose shape
  // the assertions themselves check: the no-unsafe-* rules would ask for a cast on every such read.
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  // Plain JavaScript: CommonJS that Node (the CLI launcher, jest's config and global setup) loads before anything
  // is compiled, and the CI workflows' ES modules. No tsconfig covers them, so no type-aware rules.
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);

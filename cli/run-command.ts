/**
 * The entry of an operator command (`npm run status`, `logs`, `exec`): its
 * exit code as the process's, and an error it throws as one line on stderr
 * with exit 2.
 */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(2);
    },
  );
}

import { cleanStale } from "./state";

/** After every test: whatever a test bed left because its test process died is stopped by PID and removed. */
export default function globalTeardown(): void {
  cleanStale();
}

// @pulumi/policy's proxy.js exports UnknownValueError, but its typings declare nothing.
import "@pulumi/policy/proxy";

declare module "@pulumi/policy/proxy" {
  /** Thrown when a policy reads a property that is unknown during preview. */
  export class UnknownValueError extends Error {}
}

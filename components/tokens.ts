/** Component type tokens. They are part of every child's URN: renaming one replaces everything under it. */
export const PLATFORM_TYPE = "orion:index:Platform";
export const SERVER_TYPE = "orion:index:Server";
export const LOAD_BALANCER_TYPE = "orion:index:ApiLoadBalancer";
